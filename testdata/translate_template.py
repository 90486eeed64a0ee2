"""Translate a SAM template into the CloudFormation it deploys, printed as JSON.

Usage: python3 testdata/translate_template.py TEMPLATE [Parameter=Value ...]

Runs offline, as `sam validate` does: local CodeUri values become s3:// URIs (the translator
rejects local paths) and no managed-policy lookup calls AWS. Parameters not given keep their
defaults. template_test.go asserts on the output.
"""

import json
import os
import sys

from cfnlint.decode import cfn_yaml  # understands !Ref, !GetAtt, !Sub
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator


def main(path, parameter_values):
    template = cfn_yaml.load(path)
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key"

    # The translator builds ARNs for the region in AWS_DEFAULT_REGION.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translated = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=template,
        parameter_values=parameter_values,
        get_managed_policy_map=lambda: {},
        passthrough_metadata=True,
    )
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: translate_template.py TEMPLATE [Parameter=Value ...]")
    main(sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:]))
