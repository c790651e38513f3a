//! Regions: SES receives mail only in some. The template refuses to deploy
//! elsewhere unless the mail comes in through `infra/inbound.yaml` in a
//! receiving region, whose bucket S3 replicates into the main stack's.

use std::collections::HashMap;

use e2e::{create_stack_from, Moto, INBOUND_DOMAIN, STACK_NAME};
use serde_json::Value;

const MAIN_REGION: &str = "eu-south-1";
const INBOUND_REGION: &str = "eu-west-1";

/// The template's `Rules` as CloudFormation evaluates them before creating
/// anything (moto does not): the descriptions of the assertions that fail.
fn refusals(template: &Value, overrides: &[(&str, &str)], region: &str) -> Vec<String> {
    let mut params: HashMap<String, Value> = HashMap::new();
    for (name, p) in template["Parameters"].as_object().unwrap() {
        let default = p["Default"].as_str().unwrap_or_default().to_owned();
        params.insert(name.clone(), typed(p, &default));
    }
    for (name, value) in overrides {
        let p = &template["Parameters"][*name];
        params.insert((*name).to_owned(), typed(p, value));
    }
    params.insert("AWS::Region".into(), Value::from(region));
    let eval = |v: &Value| -> Value {
        match v.get("Ref").and_then(Value::as_str) {
            Some(name) => params[name].clone(),
            None => v.clone(),
        }
    };
    fn holds(c: &Value, eval: &dyn Fn(&Value) -> Value) -> bool {
        if let Some([inner]) = c
            .get("Fn::Not")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return !holds(inner, eval);
        }
        if let Some([a, b]) = c
            .get("Fn::Equals")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return eval(a) == eval(b);
        }
        if let Some([list, item]) = c
            .get("Fn::Contains")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            let item = eval(item);
            return eval(list).as_array().unwrap().contains(&item);
        }
        panic!("a rule function this evaluator does not know: {c}")
    }
    let holds = |c: &Value| holds(c, &eval);
    let mut failed = Vec::new();
    for rule in template["Rules"]
        .as_object()
        .expect("the template has rules")
        .values()
    {
        if rule.get("RuleCondition").is_some_and(|c| !holds(c)) {
            continue;
        }
        for assertion in rule["Assertions"].as_array().unwrap() {
            if !holds(&assertion["Assert"]) {
                failed.push(assertion["AssertDescription"].as_str().unwrap().to_owned());
            }
        }
    }
    failed
}

fn typed(parameter: &Value, value: &str) -> Value {
    if parameter["Type"] == "CommaDelimitedList" {
        value.split(',').map(|s| Value::from(s.trim())).collect()
    } else {
        Value::from(value)
    }
}

/// The regions the README names as receiving, from its table.
fn readme_regions() -> Vec<String> {
    let readme =
        std::fs::read_to_string(e2e::lambda::workspace_root().join("infra/README.md")).unwrap();
    let section = readme
        .split("## Regions")
        .nth(1)
        .expect("infra/README.md has a Regions section");
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_region_without_ses_receiving_gets_its_mail_through_an_inbound_stack() {
    let moto = Moto::start().await;
    let main = create_stack_from(
        &moto.endpoint,
        MAIN_REGION,
        "infra/template.yaml",
        &[
            "InternetxUser=bridge".into(),
            "DeletionProtection=false".into(),
            format!("InboundDomain={INBOUND_DOMAIN}"),
            "InboundMode=remote".into(),
            format!("InboundRegion={INBOUND_REGION}"),
        ],
    )
    .await;
    let template = &main.facts["template"];

    // The rule: a local-inbound stack deploys only where SES receives.
    let milan = refusals(template, &[], MAIN_REGION);
    assert_eq!(milan.len(), 1, "{milan:?}");
    assert!(milan[0].contains("InboundMode=remote"), "{milan:?}");
    assert!(refusals(template, &[], "eu-central-1").is_empty());
    assert!(refusals(
        template,
        &[("InboundMode", "remote"), ("InboundRegion", INBOUND_REGION)],
        MAIN_REGION
    )
    .is_empty());
    let nowhere = refusals(template, &[("InboundMode", "remote")], MAIN_REGION);
    assert!(nowhere[0].contains("InboundRegion"), "{nowhere:?}");
    // Not about regions, but a rule of the same kind: a nack policy needs
    // its reason before anything is created.
    let nack = refusals(
        template,
        &[("TransferOutPolicy", "nack-locked")],
        "eu-central-1",
    );
    assert!(
        nack.len() == 1 && nack[0].contains("TransferOutNackReason"),
        "{nack:?}"
    );
    assert!(refusals(
        template,
        &[
            ("TransferOutPolicy", "nack-locked"),
            ("TransferOutNackReason", "6")
        ],
        "eu-central-1"
    )
    .is_empty());
    // Only InterNetX's six reasons, by number or by the CLI's names (D19).
    let allowed: Vec<&str> = template["Parameters"]["TransferOutNackReason"]["AllowedValues"]
        .as_array()
        .expect("TransferOutNackReason has AllowedValues")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for reason in internetx::NackReason::ALL {
        assert!(allowed.contains(&reason.name()), "{allowed:?}");
        assert!(allowed.contains(&reason.number().to_string().as_str()));
    }
    assert!(!allowed.contains(&"holder-objects"));
    assert_eq!(allowed.len(), 13, "{allowed:?}");
    // The README's list is the template's default, and the inbound stack's.
    let listed = readme_regions();
    assert_eq!(
        template["Parameters"]["SesReceivingRegions"]["Default"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>(),
        listed,
    );

    // The remote main stack: no receipt rule of its own, a versioned mail
    // bucket (a replication destination must be), and a replication role.
    assert!(main.receipt_rules.is_empty(), "{:?}", main.receipt_rules);
    let bucket = main.output("MailBucketName").to_owned();
    assert_eq!(main.facts["buckets"][&bucket]["versioning"], "Enabled");
    let role = main.output("InboundReplicationRoleArn").to_owned();

    // The inbound stack in a receiving region.
    let inbound = create_stack_from(
        &moto.endpoint,
        INBOUND_REGION,
        "infra/inbound.yaml",
        &[
            format!("MainStackName={STACK_NAME}"),
            format!("MainRegion={MAIN_REGION}"),
            format!("ReplicationRoleArn={role}"),
            format!("InboundDomain={INBOUND_DOMAIN}"),
        ],
    )
    .await;
    assert!(refusals(&inbound.facts["template"], &[], INBOUND_REGION).is_empty());
    assert_eq!(
        refusals(&inbound.facts["template"], &[], MAIN_REGION).len(),
        1
    );
    let assert_listed = inbound.facts["template"]["Parameters"]["SesReceivingRegions"]["Default"]
        .as_str()
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>();
    assert_eq!(
        assert_listed, listed,
        "both templates list the same regions"
    );

    // SES there stores the mail where the replication rule picks it up...
    let inbound_bucket = inbound.output("InboundBucketName");
    let (set, rule) = inbound.receipt_rules.iter().next().expect("a receipt rule");
    assert_eq!(set, &format!("{STACK_NAME}-inbound"));
    assert_eq!(rule["Recipients"][0], INBOUND_DOMAIN);
    let stored = &rule["Actions"][0]["S3Action"];
    assert_eq!(stored["BucketName"], inbound_bucket);
    let prefix = main.parameters["InboundPrefix"].as_str().unwrap();
    assert_eq!(stored["ObjectKeyPrefix"], prefix);
    let facts = &inbound.facts["buckets"][inbound_bucket];
    assert_eq!(facts["versioning"], "Enabled");
    let replication = &facts["replication"];
    assert_eq!(replication["Role"], role.as_str());
    let replicate = &replication["Rules"][0];
    assert_eq!(replicate["Status"], "Enabled");
    assert_eq!(replicate["Filter"]["Prefix"], prefix);
    // ...into the main stack's mail bucket, whose notification runs the
    // mail function for every key under the prefix, as in a local stack.
    assert_eq!(
        replicate["Destination"]["Bucket"],
        format!("arn:aws:s3:::{bucket}")
    );
    let notified = &main.facts["template"]["Resources"]["MailBucket"]["Properties"]
        ["NotificationConfiguration"]["LambdaConfigurations"][0];
    assert_eq!(notified["Event"], "s3:ObjectCreated:*");
    assert_eq!(notified["Function"]["Fn::GetAtt"][0], "InboundMailFunction");

    // The role may read exactly that bucket and write exactly this one.
    let role_policy = main.facts["template"]["Resources"]["InboundReplicationRole"]["Properties"]
        ["Policies"][0]["PolicyDocument"]
        .to_string()
        .replace("${AWS::StackName}", STACK_NAME)
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${InboundRegion}", INBOUND_REGION)
        .replace("${InboundPrefix}", prefix)
        .replace("${AWS::Partition}", "aws");
    assert!(
        role_policy.contains(&format!("arn:aws:s3:::{inbound_bucket}/{prefix}*")),
        "{role_policy}"
    );
    assert!(role_policy.contains("s3:ReplicateObject"), "{role_policy}");
}
