"""Check offline that the installed collections satisfy requirements.yml (no Galaxy access)."""

import json
import subprocess
import sys

import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements


def main(path):
    with open(path, encoding="utf-8") as handle:
        wanted = yaml.safe_load(handle)["collections"]
    listing = json.loads(subprocess.run(["ansible-galaxy", "collection", "list", "--format", "json"],
                                        check=True, capture_output=True, text=True).stdout)
    installed = {}
    for collections in listing.values():
        for name, info in collections.items():
            installed.setdefault(name, info["version"])
    problems = []
    for item in wanted:
        have = installed.get(item["name"])
        spec = item.get("version", "*")
        if have is None:
            problems.append("%s is not installed" % item["name"])
        elif not meets_requirements(have, spec):
            problems.append("%s %s does not satisfy %s" % (item["name"], have, spec))
    if problems:
        sys.exit("requirements.yml is not satisfied: " + "; ".join(problems))
    print("requirements.yml satisfied: " + ", ".join("%s %s" % (i["name"], installed[i["name"]]) for i in wanted))


if __name__ == "__main__":
    main(sys.argv[1])
