"""Creates infra/template.yaml as a CloudFormation stack in moto.

The SAM template is translated offline (aws-sam-translator), the functions'
code locations are pointed at a placeholder zip in moto's S3, and the stack is
created through moto's CloudFormation API. moto skips SES receipt rules in
CloudFormation, so the rule set and rule are then created through the SES API
from the template's own values (resolved against the stack), and read back.

Prints one JSON object: the stack outputs, its parameters and the SES rule.
Usage: stack.py ENDPOINT STACK_NAME TEMPLATE [Key=Value ...]
The region is us-east-1, or STACK_REGION. A template without SAM's
transform (infra/inbound.yaml) is created as it is. tests/moto_pool.py
calls `create` in-process.
"""

import io
import json
import os
import sys
import time
import zipfile

import hashlib
from pathlib import Path

import boto3

DEFAULT_REGION = os.environ.get("STACK_REGION", "us-east-1")


class NoManagedPolicies:
    """The template names no managed policies by name: nothing to look up."""

    def load(self):
        return {}


def client(service, endpoint, region):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def placeholder_code(endpoint, region):
    s3 = client("s3", endpoint, region)
    bucket = f"sam-artifacts-{region}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    s3.put_object(Bucket=bucket, Key="functions.zip", Body=buf.getvalue())
    return f"s3://{bucket}/functions.zip"


def resolve(value, params, physical, conditions=None):
    """Ref, Fn::Sub and Fn::If against the created stack."""
    if isinstance(value, list):
        return [resolve(v, params, physical, conditions) for v in value]
    if not isinstance(value, dict):
        return value
    if "Fn::If" in value and conditions is not None:
        name, then, otherwise = value["Fn::If"]
        chosen = then if holds(name, conditions, params) else otherwise
        return resolve(chosen, params, physical, conditions)
    if "Ref" in value:
        name = value["Ref"]
        if name == "AWS::NoValue":
            return None
        return params.get(name, physical.get(name, name))
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]
        for name, val in {**physical, **params}.items():
            text = text.replace("${" + name + "}", str(val))
        return text
    return {k: resolve(v, params, physical, conditions) for k, v in value.items()}


def holds(name, conditions, params):
    """A template condition (Fn::Equals, Fn::Not, Fn::Condition over
    parameters) against the stack's parameters."""

    def value(v):
        if isinstance(v, dict) and "Ref" in v:
            return str(params.get(v["Ref"], ""))
        return str(v)

    def evaluate(c):
        if "Fn::Equals" in c:
            a, b = c["Fn::Equals"]
            return value(a) == value(b)
        if "Fn::Not" in c:
            return not evaluate(c["Fn::Not"][0])
        if "Condition" in c:
            return evaluate(conditions[c["Condition"]])
        return True

    return evaluate(conditions[name])


def translated(template_path, overrides, code, region):
    """The template as CloudFormation gets it: SAM's transform applied once
    per template text and parameters (cached under target/, it is the
    slowest step), plain CloudFormation as it is."""
    with open(template_path) as f:
        text = f.read()
    key = hashlib.sha256(json.dumps([text, overrides, code, region], sort_keys=True).encode()).hexdigest()
    cache = Path(__file__).resolve().parent.parent / "target" / "stack-cache" / f"{key}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(text)
    template.setdefault("Globals", {}).setdefault("Function", {})["CodeUri"] = code
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code
    params = {k: v.get("Default") for k, v in template.get("Parameters", {}).items() if "Default" in v}
    params.update(overrides)
    if "Transform" in template:
        from samtranslator.translator.transform import transform

        # The translator asks the environment for the pseudo parameters' region.
        os.environ["AWS_DEFAULT_REGION"] = region
        template = transform(template, params, NoManagedPolicies())
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(template))
    tmp.replace(cache)
    return template


def create(endpoint, stack_name, template_path, overrides, region=DEFAULT_REGION):
    """Creates the stack and returns what the tests read about it."""
    code = placeholder_code(endpoint, region)
    cfn_template = translated(template_path, overrides, code, region)
    params = {k: v.get("Default") for k, v in cfn_template.get("Parameters", {}).items() if "Default" in v}
    params.update(overrides)

    cfn = client("cloudformation", endpoint, region)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(cfn_template),
        Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in overrides.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(600):
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.1)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
        sys.exit(f"stack {stack['StackStatus']}: {reasons[:5]}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    physical = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        if "LogicalResourceId" in r and "PhysicalResourceId" in r
    }
    all_params = {**params, "AWS::StackName": stack_name, "AWS::Region": region,
                  "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}

    ses = client("ses", endpoint, region)
    rules = {}
    conditions = cfn_template.get("Conditions", {})

    def made(resource):
        return "Condition" not in resource or holds(resource["Condition"], conditions, all_params)

    for logical, resource in cfn_template["Resources"].items():
        if resource["Type"] == "AWS::SES::ReceiptRuleSet" and made(resource):
            name = resolve(resource["Properties"]["RuleSetName"], all_params, physical)
            ses.create_receipt_rule_set(RuleSetName=name)
            physical[logical] = name
    for resource in cfn_template["Resources"].values():
        if resource["Type"] == "AWS::SES::ReceiptRule" and made(resource):
            props = resolve(resource["Properties"], all_params, physical)
            ses.create_receipt_rule(RuleSetName=props["RuleSetName"], Rule=props["Rule"])
            described = ses.describe_receipt_rule(
                RuleSetName=props["RuleSetName"], RuleName=props["Rule"]["Name"]
            )["Rule"]
            rules[props["RuleSetName"]] = described

    # What the stack made, for the tests to hold against the contract.
    events = client("events", endpoint, region)
    bus = all_params.get("EventBusName", "default")
    event_rules = {
        r["Name"]: json.loads(r.get("EventPattern", "{}"))
        for r in events.list_rules(EventBusName=bus)["Rules"]
    }
    lam = client("lambda", endpoint, region)
    functions = {}
    for logical, arn_output in (("DomainEventsFunction", "DomainEventsFunctionArn"), ("InboundMailFunction", "InboundMailFunctionArn"), ("StatusMailsFunction", "StatusMailsFunctionArn"), ("ReconcileFunction", "ReconcileFunctionArn"), ("SyncFunction", "SyncFunctionArn"), ("PublishEventsFunction", "PublishEventsFunctionArn")):
        if arn_output not in outputs:
            continue
        conf = lam.get_function_configuration(FunctionName=outputs[arn_output])
        functions[logical] = {
            "environment": conf.get("Environment", {}).get("Variables", {}),
            "memory": conf.get("MemorySize"),
            "timeout": conf.get("Timeout"),
            "architectures": conf.get("Architectures"),
            "runtime": conf.get("Runtime"),
        }
    s3 = client("s3", endpoint, region)
    # moto's CloudFormation ignores a bucket's versioning and replication:
    # those are read from the template, resolved against the stack.
    declared = {}
    for logical, resource in cfn_template["Resources"].items():
        if resource["Type"] == "AWS::S3::Bucket" and logical in physical:
            props = resolve(resource.get("Properties", {}), all_params, physical, conditions)
            declared[physical[logical]] = props
    buckets = {}
    for output in ("MailBucketName", "InboundBucketName"):
        if output not in outputs:
            continue
        name = outputs[output]
        props = declared.get(name, {})
        facts = {
            "versioning": (props.get("VersioningConfiguration") or {}).get("Status"),
            "replication": props.get("ReplicationConfiguration"),
            "notification": s3.get_bucket_notification_configuration(Bucket=name),
        }
        facts["notification"].pop("ResponseMetadata", None)
        buckets[name] = facts
    if "DomainTableName" not in outputs:
        return {
            "outputs": outputs,
            "parameters": all_params,
            "receipt_rules": rules,
            "buckets": buckets,
            "template": cfn_template,
        }
    notification = buckets[outputs["MailBucketName"]]["notification"]
    table = client("dynamodb", endpoint, region).describe_table(TableName=outputs["DomainTableName"])["Table"]
    cloudwatch = client("cloudwatch", endpoint, region)
    dashboard = None
    if "DashboardName" in outputs:
        dashboard = cloudwatch.get_dashboard(DashboardName=outputs["DashboardName"])["DashboardBody"]
    # moto's CloudFormation makes no alarms: read them from the template,
    # resolved against the stack.
    alarms = []
    for logical, resource in cfn_template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        alarms.append({
            "name": logical,
            "namespace": resolve(props.get("Namespace"), all_params, physical),
            "metric": props.get("MetricName"),
            "dimensions": {
                d["Name"]: resolve(d["Value"], all_params, physical)
                for d in props.get("Dimensions", [])
            },
            "threshold": resolve(props.get("Threshold"), all_params, physical),
        })
    return {
        "outputs": outputs,
        "parameters": all_params,
        "receipt_rules": rules,
        "event_rules": event_rules,
        "functions": functions,
        "bucket_notification": notification,
        "buckets": buckets,
        "template": cfn_template,
        "dashboard": dashboard,
        "alarms": alarms,
        "table": {
            "key_schema": table["KeySchema"],
            "attributes": table["AttributeDefinitions"],
            "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
            "indexes": [
                {"name": i["IndexName"], "key_schema": i["KeySchema"]}
                for i in table.get("GlobalSecondaryIndexes", [])
            ],
        },
    }


def main():
    endpoint, stack_name, template_path = sys.argv[1:4]
    overrides = dict(arg.split("=", 1) for arg in sys.argv[4:])
    print(json.dumps(create(endpoint, stack_name, template_path, overrides), default=str))


if __name__ == "__main__":
    main()
