#!/usr/bin/env python3
"""Transform a SAM template into CloudFormation JSON, offline.

Usage: sam_transform.py TEMPLATE > transformed.json

It prints {"Template": <CloudFormation>, "CodeUris": {<function>: <CodeUri>}}.
Local CodeUris are first replaced by S3 URIs, as `sam deploy` does when it
uploads them, and reported in CodeUris. It runs aws-sam-translator (what `sam deploy` asks CloudFormation's
AWS::Serverless transform to do) with a managed-policy loader that knows no
policies, so it needs no network and no credentials; a template that names
a managed policy by name fails, one that names them by ARN (or none, like
Tanda's) transforms as it would on AWS. Exits 3 when the translator is not
installed, 1 when the template is invalid.
"""
import json
import os
import sys

try:
    from samtranslator.translator.transform import transform
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.yaml_helper import yaml_parse
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"aws-sam-translator is not installed: {err}", file=sys.stderr)
    sys.exit(3)


class NoManagedPolicies:
    """A managed-policy loader that knows no policy names (no IAM calls)."""

    def load(self):
        return {}


def package(template):
    """Replace local CodeUris by S3 URIs, as sam deploy's upload does."""
    local = {}
    for name, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        uri = res.get("Properties", {}).get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            local[name] = uri
            res["Properties"]["CodeUri"] = f"s3://packaged/{name}.zip"
    return local


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    # The translator builds ARNs for the region of a boto session.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    code_uris = package(template)
    try:
        out = transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as err:
        for cause in err.causes:
            print(f"invalid SAM template: {cause.message}", file=sys.stderr)
        return 1
    json.dump({"Template": out, "CodeUris": code_uris}, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
