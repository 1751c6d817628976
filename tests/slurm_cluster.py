"""A throw-away single-node SLURM cluster for tests (root on Debian/Ubuntu).

Everything lives in one directory (``$REPRO_SLURM_DIR``, default ``/tmp/gan-repro-slurm``): its own
``slurm.conf``/``gres.conf`` (found through ``SLURM_CONF``; nothing in /etc is read or written), its
own munge key and ``munged`` on a private socket, state, spool, logs and PID files, and
non-default ports, so a system SLURM or munge on the machine is neither used nor disturbed.
The node advertises ``gpu`` GRES backed by ``/dev/null``: jobs asking for a GPU are scheduled
and see ``CUDA_VISIBLE_DEVICES`` like on a real GPU node.

As a pytest fixture (session scope)::

    from slurm_cluster import slurm_cluster   # in a test module under tests/
    def test_x(slurm_cluster):
        subprocess.run(["sbatch", ...], env=slurm_cluster.env)

It skips when the cluster cannot be had (not root, no apt-get, packages not installable, another
session holding the cluster); with ``REPRO_REQUIRE_SLURM=1`` (CI) those are failures instead.
A cluster that is installed but does not come up is always a failure, with the daemons' logs.

By hand: ``python tests/slurm_cluster.py install | up | down | status``.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
BINARIES = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "munged")
DIR_ENV = "REPRO_SLURM_DIR"
REQUIRE_ENV = "REPRO_REQUIRE_SLURM"
PARTITION = "debug"
DAEMONS = ("munged", "slurmctld", "slurmd")  # start order; stopped in reverse


class ClusterUnavailable(RuntimeError):
    """The cluster cannot be had on this machine (a reason to skip, not a test failure)."""


class ClusterError(RuntimeError):
    """SLURM is installed but the cluster did not come up (a real failure)."""


def default_base() -> Path:
    return Path(os.environ.get(DIR_ENV) or Path(tempfile.gettempdir()) / "gan-repro-slurm")


def _run(cmd, *, timeout=30, env=None, check=False, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          check=check, **kw)


# --------------------------------------------------------------------------------------- install
def slurm_installed() -> bool:
    return all(shutil.which(b) for b in BINARIES)


def install(timeout: float = 600) -> float:
    """apt-get install the SLURM packages if missing; returns the seconds spent (0 if present)."""
    if slurm_installed():
        return 0.0
    if os.geteuid() != 0:
        raise ClusterUnavailable("SLURM is not installed and installing it needs root")
    if not shutil.which("apt-get"):
        raise ClusterUnavailable("SLURM is not installed and there is no apt-get to install it")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends",
           "-o", "DPkg::Lock::Timeout=120", *PACKAGES]
    t0 = time.monotonic()
    try:
        r = _run(cmd, timeout=timeout, env=env)
        if r.returncode != 0:  # stale or missing package lists: refresh once and retry
            u = _run(["apt-get", "update", "-o", "DPkg::Lock::Timeout=120"], timeout=timeout,
                     env=env)
            r = _run(cmd, timeout=timeout, env=env)
            if r.returncode != 0:
                raise ClusterUnavailable(
                    "apt-get could not install " + " ".join(PACKAGES) + ":\n"
                    + _tail(u.stderr, 10) + _tail(r.stderr, 20))
    except subprocess.TimeoutExpired as e:
        raise ClusterUnavailable(f"apt-get took longer than {timeout:g} s: {e}") from None
    if not slurm_installed():
        missing = [b for b in BINARIES if not shutil.which(b)]
        raise ClusterUnavailable(f"installed {PACKAGES} but still missing {missing}")
    return time.monotonic() - t0


def _tail(text: str, n: int) -> str:
    return "\n".join((text or "").strip().splitlines()[-n:]) + "\n"


# --------------------------------------------------------------------------------------- cluster
@dataclass
class SlurmCluster:
    base: Path
    node: str
    cpus: int
    gpus: int
    partition: str = PARTITION
    procs: dict = field(default_factory=dict)  # daemon name -> Popen
    timings: dict = field(default_factory=dict)
    _lock_fd: int | None = None

    @property
    def conf(self) -> Path:
        return self.base / "etc" / "slurm.conf"

    @property
    def env(self) -> dict:
        """The environment to run SLURM clients (and Snakemake) with for this cluster."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SALLOC_", "SNAKEMAKE_PROFILE"))}
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = f"{self.base / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}"
        return env

    def run(self, *cmd, timeout=30, check=True) -> subprocess.CompletedProcess:
        r = _run(list(cmd), timeout=timeout, env=self.env)
        if check and r.returncode != 0:
            raise ClusterError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
        return r

    def node_state(self) -> str:
        r = self.run("sinfo", "-h", "-N", "-n", self.node, "-o", "%T", check=False, timeout=15)
        return r.stdout.strip().lower() if r.returncode == 0 else f"<sinfo failed: {r.stderr.strip()}>"

    def job_ids(self) -> list[str]:
        r = self.run("squeue", "-h", "-o", "%i", check=False, timeout=15)
        return r.stdout.split() if r.returncode == 0 else []

    def logs(self, n: int = 25) -> str:
        parts = []
        for name in DAEMONS:
            p = self.base / "log" / f"{name}.log"
            if p.exists():
                parts.append(f"--- {p} (last {n} lines)\n" + _tail(p.read_text(errors="replace"), n))
        return "".join(parts)

    def stop(self) -> None:
        """Cancel all jobs, stop the daemons by PID (reverse start order), remove the directory."""
        with contextlib.suppress(Exception):
            ids = self.job_ids()
            if ids:
                self.run("scancel", *ids, check=False, timeout=15)
                deadline = time.monotonic() + 15
                while self.job_ids() and time.monotonic() < deadline:
                    time.sleep(0.5)
        for name in reversed(DAEMONS):
            proc = self.procs.get(name)
            if proc is not None:
                _terminate(proc)
        self.procs.clear()
        shutil.rmtree(self.base, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _pid_of(proc) -> int:
    return proc.pid if hasattr(proc, "pid") else int(proc)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as dead
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
            return False
    return True


def _terminate(proc, grace: float = 10) -> None:
    pid = _pid_of(proc)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        if not _alive(pid):
            break
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            if hasattr(proc, "poll"):
                proc.poll()
            time.sleep(0.1)
    if hasattr(proc, "wait"):
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)


def _ours(pid: int, base: Path) -> bool:
    """Is PID a daemon of a cluster in BASE? (its command line names a path under BASE)"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return str(base) in cmdline


def kill_stale(base: Path) -> list[int]:
    """Stop daemons left running by an earlier session on BASE (found by its PID file)."""
    killed = []
    pidfile = base / "run" / "daemons.json"
    pids = {}
    with contextlib.suppress(OSError, ValueError):
        pids = json.loads(pidfile.read_text())
    conf = base / "etc" / "slurm.conf"
    ctld = pids.get("slurmctld")
    if ctld and _alive(ctld) and _ours(ctld, base) and conf.exists():
        # its jobs first, so that no job step outlives the daemons
        with contextlib.suppress(Exception):
            env = dict(os.environ, SLURM_CONF=str(conf))
            ids = _run(["squeue", "-h", "-o", "%i"], timeout=15, env=env).stdout.split()
            if ids:
                _run(["scancel", *ids], timeout=15, env=env)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and _run(
                        ["squeue", "-h", "-o", "%i"], timeout=15, env=env).stdout.split():
                    time.sleep(0.5)
    for name in reversed(DAEMONS):
        pid = pids.get(name)
        if pid and _alive(pid) and _ours(pid, base):
            _terminate(pid)
            killed.append(pid)
    return killed


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _node_hardware() -> str:
    """The node's CPUs/sockets/cores/memory as slurmd itself sees them (slurmd -C)."""
    r = _run(["slurmd", "-C"], timeout=30)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("NodeName=")), "")
    if not line:
        raise ClusterError(f"slurmd -C printed no NodeName line: {r.stdout} {r.stderr}")
    return " ".join(w for w in line.split() if not w.startswith("NodeName="))


def write_config(base: Path, node: str, gpus: int) -> dict:
    if gpus not in (0, 1):
        raise ValueError("the fake GPU is /dev/null: 0 or 1 GPU per node")
    ctld_port, slurmd_port = _free_ports(2)
    hw = _node_hardware()
    cpus = int(next(w.split("=")[1] for w in hw.split() if w.startswith("CPUs=")))
    run, log = base / "run", base / "log"
    gres = f" Gres=gpu:{gpus}" if gpus else ""
    conf = f"""\
# Written by tests/slurm_cluster.py for a throw-away single-node test cluster.
ClusterName=reprotest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={run}/munge.socket
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={run}/slurmctld.pid
SlurmdPidFile={run}/slurmd.pid
SlurmctldLogFile={log}/slurmctld.log
SlurmdLogFile={log}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
# squeue reports finished jobs for MinJobAge seconds: the Snakemake plugin's squeue status
# check needs this >= 3x its first status interval.
MinJobAge=300
KillWait=5
InactiveLimit=0
SlurmdTimeout=300
NodeName={node} NodeAddr=127.0.0.1 {hw}{gres} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
    (base / "etc" / "slurm.conf").write_text(conf)
    # gres.conf is read from slurm.conf's directory; without File= the node goes INVAL
    (base / "etc" / "gres.conf").write_text(
        f"NodeName={node} Name=gpu File=/dev/null\n" if gpus else "")
    return {"cpus": cpus, "ctld_port": ctld_port, "slurmd_port": slurmd_port}


def _write_srun_shim(base: Path) -> None:
    """An ``srun`` first on the cluster's PATH that puts SLURM_CONF back.

    snakemake-executor-plugin-slurm-jobstep (0.6.1) removes every SLURM_* variable but the job's
    identity before its nested ``srun``, SLURM_CONF included; that srun then looks for
    /etc/slurm/slurm.conf, and this cluster deliberately has none there.
    """
    real = shutil.which("srun")
    shim = base / "bin" / "srun"
    shim.write_text(f"""#!/bin/sh
# written by tests/slurm_cluster.py (see _write_srun_shim)
SLURM_CONF="${{SLURM_CONF:-{base / 'etc' / 'slurm.conf'}}}"
export SLURM_CONF
exec {real} "$@"
""")
    shim.chmod(0o755)


def _lock(base: Path, wait: float) -> int:
    lock = base.parent / f"{base.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise ClusterUnavailable(
                    f"another session is using the test cluster in {base} (lock {lock})") from None
            time.sleep(0.5)


def _spawn(name: str, cmd: list[str], base: Path, env: dict) -> subprocess.Popen:
    log = open(base / "log" / f"{name}.out", "ab")
    try:
        # own session: a Ctrl-C in the terminal reaches pytest (which tears down) first
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                start_new_session=True)
    finally:
        log.close()


def _wait(what: str, check, timeout: float, cluster: SlurmCluster, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        for name, proc in cluster.procs.items():
            if hasattr(proc, "poll") and proc.poll() is not None:
                raise ClusterError(f"{name} exited with {proc.returncode} while waiting for {what}\n"
                                   + _daemon_output(cluster))
        ok, last = check()
        if ok:
            return last
        time.sleep(interval)
    raise ClusterError(f"timed out after {timeout:g} s waiting for {what} (last: {last})\n"
                       + _daemon_output(cluster))


def _daemon_output(cluster: SlurmCluster) -> str:
    parts = [cluster.logs()]
    for name in DAEMONS:
        p = cluster.base / "log" / f"{name}.out"
        if p.exists() and p.stat().st_size:
            parts.append(f"--- {p}\n" + _tail(p.read_text(errors="replace"), 15))
    return "".join(parts)


def start(base: Path | None = None, *, gpus: int = 1, timeout: float = 60,
          lock_wait: float = 60) -> SlurmCluster:
    """Install if needed, then start munged, slurmctld and slurmd in BASE; wait for an idle node."""
    if sys.platform != "linux":
        raise ClusterUnavailable("the test cluster needs Linux")
    if os.geteuid() != 0:
        raise ClusterUnavailable("the test cluster runs its daemons as root; not root here")
    base = (base or default_base()).resolve()
    timings = {"install_s": install()}
    t0 = time.monotonic()
    base.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = _lock(base, lock_wait)
    try:
        stale = kill_stale(base)
        shutil.rmtree(base, ignore_errors=True)
        for sub in ("etc", "munge", "run", "state", "spool", "log", "bin"):
            (base / sub).mkdir(parents=True)
        _write_srun_shim(base)
        base.chmod(0o755)
        (base / "run").chmod(0o755)  # munged: the socket's directory must be searchable by all
        (base / "munge").chmod(0o700)
        key = base / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)

        node = socket.gethostname().split(".")[0]
        hw = write_config(base, node, gpus)
        cluster = SlurmCluster(base=base, node=node, cpus=hw["cpus"], gpus=gpus, timings=timings,
                               _lock_fd=lock_fd)
        timings["stale_daemons_killed"] = stale
    except BaseException:
        os.close(lock_fd)
        raise
    env = cluster.env
    pidfile = base / "run" / "daemons.json"

    def record():
        pidfile.write_text(json.dumps({n: _pid_of(p) for n, p in cluster.procs.items()}))

    try:
        sock = base / "run" / "munge.socket"
        cluster.procs["munged"] = _spawn("munged", [
            "munged", "--foreground", f"--socket={sock}", f"--key-file={key}",
            f"--pid-file={base}/run/munged.pid", f"--seed-file={base}/munge/munged.seed",
            f"--log-file={base}/log/munged.log"], base, env)
        record()

        def munge_ok():
            if not sock.exists():
                return False, "no socket yet"
            r = subprocess.run(f"munge -n -S {sock} | unmunge -S {sock}", shell=True,
                               capture_output=True, text=True, timeout=10)
            return r.returncode == 0, r.stderr.strip()

        _wait("munged", munge_ok, timeout, cluster)

        cluster.procs["slurmctld"] = _spawn(
            "slurmctld", ["slurmctld", "-D", "-i", "-f", str(cluster.conf)], base, env)
        record()

        def ctld_up():
            r = cluster.run("scontrol", "ping", check=False, timeout=15)
            return "UP" in r.stdout, (r.stdout + r.stderr).strip()

        _wait("slurmctld (scontrol ping)", ctld_up, timeout, cluster)

        cluster.procs["slurmd"] = _spawn(
            "slurmd", ["slurmd", "-D", "-f", str(cluster.conf), "-N", node], base, env)
        record()

        resumed = False

        def node_idle():
            nonlocal resumed
            state = cluster.node_state()
            if state.startswith(("down", "drain", "inval")) and not resumed:
                cluster.run("scontrol", "update", f"nodename={node}", "state=resume", check=False)
                resumed = True
            return state.startswith("idle"), state

        _wait(f"node {node} to become idle", node_idle, timeout, cluster, interval=0.5)
        timings["start_s"] = time.monotonic() - t0
        return cluster
    except BaseException:
        cluster.stop()
        raise


# --------------------------------------------------------------------------------------- pytest
try:
    import pytest
except ImportError:  # used as a script without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def slurm_cluster():
        """A running single-node SLURM cluster (skips where it cannot be had; see module doc)."""
        try:
            cluster = start()
        except ClusterUnavailable as e:
            if os.environ.get(REQUIRE_ENV) == "1":
                pytest.fail(f"{REQUIRE_ENV}=1 but no SLURM test cluster: {e}")
            pytest.skip(f"no SLURM test cluster: {e}")
        try:
            yield cluster
        finally:
            cluster.stop()


# --------------------------------------------------------------------------------------- script
def _main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    base = default_base()
    if cmd == "install":
        print(f"installed in {install():.1f} s")
    elif cmd == "up":
        c = start(base)
        if c._lock_fd is not None:  # leave it running for manual use; 'down' stops it
            os.close(c._lock_fd)
        print(json.dumps(c.timings))
        print(f"export SLURM_CONF={c.conf}")
    elif cmd == "down":
        lock_fd = _lock(base, 60)
        try:
            print("stopped:", kill_stale(base))
            shutil.rmtree(base, ignore_errors=True)
        finally:
            os.close(lock_fd)
    elif cmd == "status":
        conf = base / "etc" / "slurm.conf"
        if not conf.exists():
            print(f"no cluster in {base}")
            return 1
        r = _run(["sinfo"], env=dict(os.environ, SLURM_CONF=str(conf)))
        print(r.stdout + r.stderr)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
