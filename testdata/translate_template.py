"""Translate a SAM template into the CloudFormation it deploys, printed as JSON.

Usage: python3 testdata/translate_template.py TEMPLATE [Parameter=Value ...]

Runs offline, as `sam validate` does: local CodeUri values become s3:// URIs (the translator
rejects local paths) and no managed-policy lookup calls AWS. Parameters not given keep their
defaults. A template that lists AWS::LanguageExtensions gets what that transform does before the
SAM one, for the one use jwtgate makes of it: Fn::If in DeletionPolicy and UpdateReplacePolicy,
resolved with the parameters (anything else there is an error, not a guess). template_test.go
asserts on the output.
"""

import json
import os
import sys

from cfnlint.decode import cfn_yaml  # understands !Ref, !GetAtt, !Sub
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator


def resolve_policies(template, parameter_values):
    """Resolve Fn::If in the policy attributes, as AWS::LanguageExtensions does at deploy time."""
    values = {name: str(parameter_values.get(name, p.get("Default")))
              for name, p in template.get("Parameters", {}).items()}
    conditions = template.get("Conditions", {})

    def holds(name):
        equals = conditions[name].get("Fn::Equals")
        if not equals or len(equals) != 2 or "Ref" not in equals[0]:
            raise SystemExit("condition %s: only Fn::Equals [Ref Parameter, value] is resolved here" % name)
        return values[equals[0]["Ref"]] == str(equals[1])

    for name, resource in template.get("Resources", {}).items():
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            value = resource.get(attribute)
            if isinstance(value, dict):
                if list(value) != ["Fn::If"]:
                    raise SystemExit("%s.%s: only Fn::If is resolved here" % (name, attribute))
                condition, when_true, when_false = value["Fn::If"]
                resource[attribute] = when_true if holds(condition) else when_false


def main(path, parameter_values):
    template = cfn_yaml.load(path)
    transforms = template.get("Transform", [])
    if "AWS::LanguageExtensions" in (transforms if isinstance(transforms, list) else [transforms]):
        resolve_policies(template, parameter_values)
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
