"""The README's Python example, run as written."""
import os
import pathlib
import re

README = pathlib.Path(os.environ.get("METAEVO_SOURCE_DIR", pathlib.Path(__file__).parents[2])) / "README.md"


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    text = README.read_text()
    found = re.search(r"<!-- README example, run by python/tests/test_readme.py -->\s*```python\n(.*?)```", text, re.S)
    assert found, "README.md: no Python example after its marker"
    monkeypatch.chdir(tmp_path)
    exec(compile(found.group(1), "README.md", "exec"), {})
    assert (tmp_path / "runs" / "readme-cmaes" / "result.json").exists()
