"""metaevo.optimize under mpirun: the ranks share each population's fitness calls and end where
one process ends, bitwise."""
import os
import subprocess
import sys
import textwrap

import pytest

MPIRUN = "/usr/bin/mpirun"
# As the C++ MPI tests: root in containers, oversubscribed cores, shared memory without CMA.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
           "OMPI_MCA_btl": "self,vader", "OMPI_MCA_mpi_yield_when_idle": "1"}

SCRIPT = textwrap.dedent("""
    import json, os, sys, torch, metaevo
    rank, size = metaevo.world()
    calls = []
    def fitness(x):
        calls.append(x.size(0))
        return ((x - 1.0) ** 2).sum(dim=1)
    es = metaevo.Strategy("openai_es", torch.zeros(6, dtype=torch.float64), seed=2, population=10, sigma=0.1)
    result = metaevo.optimize(es, fitness, output=sys.argv[1], generations=12, log_every_s=0)
    with open(os.path.join(sys.argv[1], f"rank{rank}.json"), "w") as f:
        json.dump({"size": size, "members": sum(calls), "center": result["center"].tolist()}, f)
""")


@pytest.mark.skipif(not os.path.exists(MPIRUN), reason=f"{MPIRUN} not found (apt-get install openmpi-bin)")
def test_two_ranks_share_the_work_and_end_as_one_process(tmp_path):
    import json
    import metaevo
    if not metaevo.mpi_built():
        pytest.skip("built without MPI (configure with -DMETAEVO_MPI=ON)")
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    env = dict(os.environ, **MPI_ENV)
    subprocess.run([sys.executable, "-c", SCRIPT, str(one)], check=True, timeout=300, env=env)
    subprocess.run([MPIRUN, "-np", "2", sys.executable, "-c", SCRIPT, str(two)], check=True, timeout=300, env=env)
    alone = json.loads((one / "rank0.json").read_text())
    ranks = [json.loads((two / f"rank{r}.json").read_text()) for r in range(2)]
    assert alone["size"] == 1 and [r["size"] for r in ranks] == [2, 2]
    assert alone["members"] == 120 and [r["members"] for r in ranks] == [60, 60]
    assert ranks[0]["center"] == ranks[1]["center"] == alone["center"]
    assert (two / "result.json").exists() and (two / "metrics.jsonl").exists()
