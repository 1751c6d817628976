# gan-repro: experiment tables (config/tables/*.tsv) -> training jobs -> paper-style tables,
# learning curves and a verdict per cell (results/<table>/). The rules only wire `repro`
# commands together; every decision lives in the repro package, where it is tested.
from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


# small steps run where Snakemake runs, not as cluster jobs (and every claim_<name> rule:
# workflow/rules/report.smk, localrule: True)
localrules:
    all,
    select,
    report,
    check,
    seed_round,


include: "workflow/rules/common.smk"
include: "workflow/rules/gate.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/real.smk"
include: "workflow/rules/seeds.smk"
include: "workflow/rules/report.smk"


rule all:
    """Every table's published files and every run they are made from (common.smk, published)."""
    input:
        [table_targets(t) for t in TABLES],
    default_target: True
