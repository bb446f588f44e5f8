"""template.yaml: lint-clean, private and encrypted storage, least privilege, contract names.

The SAM transform runs here too (samtranslator, offline), so the checks see the
IAM roles, permissions and event source mappings CloudFormation will create,
not only what the template spells out.
"""

import ast
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from samtranslator.translator.transform import transform

from stoppress.contracts.engagement import ENGAGEMENT_COUNTERS
from stoppress.contracts.keys import (
    AUDIENCE_PK_PREFIX,
    SUB_PK_PREFIX,
    TOPIC_PK_PREFIX,
    article_pk,
    rejection_pk,
)
from stoppress.core.settings import (
    AudienceSettings,
    IngestSettings,
    NotifySettings,
    SendSettings,
    SubscribeSettings,
)
from stoppress.subscribe.engagement_table import HEAD_VERSION
from stoppress_dev.template import PROJECT_ROOT, TEMPLATE_PATH, load_template

NOTIFY_FILTER = (
    '{"eventName":["INSERT"],"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"VERSION#"}]}},'
    '"NewImage":{"audience":{"S":[{"anything-but":["none"]}]}}}}'
)
# Versions stored under an embargo, silent ones too: they may call the held push off or delay it.
NOTIFY_EMBARGO_FILTER = (
    '{"eventName":["INSERT"],"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"VERSION#"}]}},'
    '"NewImage":{"embargo_until":{"S":[{"exists":true}]}}}}'
)
CONTRACT_ENV = {
    "TABLE_NAME",
    "PUSH_QUEUE_URL",
    "VAPID_PRIVATE_KEY_PARAMETER",
    "VAPID_PUBLIC_KEY_PARAMETER",
    "VAPID_SUBJECT",
    "SITE_BASE_URL",
    "ALLOWED_PUSH_HOSTS",
    "ALLOW_LOOPBACK_PUSH_ENDPOINTS",
    "TOPIC_SHARDS",
    "SITE_ORIGIN",
    "PUSH_MAX_IN_FLIGHT",
    "PUSH_SENDER_PROCESSES",
    "PUSH_REQUEST_TIMEOUT",
    "PUSH_MAX_ATTEMPTS",
    "RETIRE_AFTER_FAILED_VERSIONS",
    "PUSH_TTL_HIGH",
    "PUSH_TTL_NORMAL",
    "PUSH_TTL_LOW",
    "SITE_ICON_URL",
    "SITE_BADGE_URL",
    "UPDATE_COOLDOWN_SECONDS",
    "COOLDOWN_QUEUE_URL",
    "RETIRE_AFTER_FAILING_HOURS",
    "FOLLOW_EXPIRY_DAYS",
    "SUBSCRIPTION_EXPIRY_DAYS",
    "INLINE_BODY_LIMIT",
    "EMBARGO_HORIZON_DAYS",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "AWS_ENDPOINT_URL",
}
# Read by Powertools' Logger, not by our code.
TOOLING_ENV = {"LOG_LEVEL"}
FUNCTIONS = {
    "IngestFunction": IngestSettings,
    "SubscribeFunction": SubscribeSettings,
    "NotifyFunction": NotifySettings,
    "AudienceFunction": AudienceSettings,
    "SendFunction": SendSettings,
}
ARTICLES = f"{article_pk('')}*"
REJECTIONS = f"{rejection_pk('')}*"
SUBSCRIPTIONS = f"{SUB_PK_PREFIX}*"
TOPICS = f"{TOPIC_PK_PREFIX}*"
AUDIENCES = f"{AUDIENCE_PK_PREFIX}*"
# What each function's adapters call, and on which partitions (dynamodb:LeadingKeys).
# TransactWriteItems is authorised per item: a Put needs PutItem, a Delete DeleteItem.
TABLE_ACCESS: dict[str, dict[str, set[str]]] = {
    # ArticleStore: get_head/get_version, put_version (two Puts), advance_head_source,
    # record_rejection.
    "IngestFunction": {
        "dynamodb:GetItem": {ARTICLES},
        "dynamodb:PutItem": {ARTICLES, REJECTIONS},
    },
    # SubscriptionStore: get, put (Puts, Updates, Deletes), delete (Deletes); FollowsTable:
    # the SUB item, then memberships and story heads in batches; EngagementTable: a story's
    # head, then a version's counters (ENGAGEMENT_ATTRIBUTES only).
    "SubscribeFunction": {
        "dynamodb:GetItem": {SUBSCRIPTIONS, ARTICLES},
        "dynamodb:BatchGetItem": {TOPICS, ARTICLES},
        "dynamodb:PutItem": {SUBSCRIPTIONS, TOPICS},
        "dynamodb:UpdateItem": {SUBSCRIPTIONS, TOPICS, ARTICLES},
        "dynamodb:DeleteItem": {SUBSCRIPTIONS, TOPICS},
    },
    # JobLedgerTable: record, erase; CooldownGateTable: read, write, version. The stream
    # and queue reads come with the event sources.
    "NotifyFunction": {
        "dynamodb:GetItem": {ARTICLES},
        "dynamodb:PutItem": {ARTICLES},
        "dynamodb:DeleteItem": {ARTICLES},
    },
    # AudienceTable: a batch's counter additions and marker (Updates in one transaction),
    # the marker read back on a retry, and the counts read.
    "AudienceFunction": {
        "dynamodb:UpdateItem": {AUDIENCES},
        "dynamodb:Query": {AUDIENCES},
    },
    # SendClaims and DeliveryStats.add in the article's partition; SubscriptionStore.members,
    # .delete for gone subscriptions, .record_failed_version, .record_success, .confirm
    # and .extend_follow.
    "SendFunction": {
        "dynamodb:GetItem": {ARTICLES, SUBSCRIPTIONS},
        "dynamodb:Query": {TOPICS},
        "dynamodb:UpdateItem": {ARTICLES, SUBSCRIPTIONS, TOPICS},
        "dynamodb:DeleteItem": {SUBSCRIPTIONS, TOPICS},
    },
}
# The attributes a statement limited by dynamodb:Attributes lets a role touch, per action:
# the subscribe API's engagement counting in article partitions, and nothing else there.
ENGAGEMENT_ATTRIBUTES: dict[str, dict[str, set[str]]] = {
    "SubscribeFunction": {
        "dynamodb:GetItem": {"pk", "sk", HEAD_VERSION},
        "dynamodb:UpdateItem": {"pk", "sk", *ENGAGEMENT_COUNTERS.values()},
    },
}
DEPLOY_PARAMETERS = {
    "VapidSubject": "mailto:newsroom@example.com",
    "SiteBaseUrl": "https://news.example.com",
    "SiteOrigin": "https://news.example.com",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def transformed(template: dict[str, Any]) -> dict[str, Any]:
    """The template after the SAM transform, as CloudFormation would receive it."""
    document = copy.deepcopy(template)
    for resource in document["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:  # sam package replaces local paths with S3 URIs
                props[key] = "s3://artifacts/code.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        result: dict[str, Any] = transform(document, DEPLOY_PARAMETERS, NoManagedPolicies())
    return result


def _props(resources: dict[str, Any], logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = resources[logical_id]["Properties"]
    return props


def _function_env(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    globals_env = template["Globals"]["Function"]["Environment"]["Variables"]
    own = _props(template["Resources"], logical_id).get("Environment", {}).get("Variables", {})
    return {**globals_env, **own}


def _statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    statements = document["Statement"]
    yield from statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.slow
def test_cfn_lint_reports_nothing() -> None:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=["us-east-1"]))

    assert [str(m) for m in matches] == []


def test_articles_bucket_is_versioned_private_and_encrypted(resources: dict[str, Any]) -> None:
    props = _props(resources, "ArticlesBucket")

    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}
    assert resources["ArticlesBucket"]["DeletionPolicy"] == "Retain"


def test_articles_bucket_refuses_plain_http(resources: dict[str, Any]) -> None:
    policy = _props(resources, "ArticlesBucketPolicy")
    assert policy["Bucket"] == {"Ref": "ArticlesBucket"}

    denials = [
        s
        for s in _statements(policy["PolicyDocument"])
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]

    assert len(denials) == 1
    assert _as_list(denials[0]["Action"]) == ["s3:*"]
    # Both the bucket and every object in it.
    assert {json.dumps(r, sort_keys=True) for r in denials[0]["Resource"]} == {
        json.dumps({"Fn::GetAtt": ["ArticlesBucket", "Arn"]}, sort_keys=True),
        json.dumps({"Fn::Sub": "${ArticlesBucket.Arn}/*"}, sort_keys=True),
    }


def test_ingest_may_read_only_the_articles_prefix_of_that_bucket(
    resources: dict[str, Any],
) -> None:
    bucket_name, bucket_vars = _props(resources, "ArticlesBucket")["BucketName"]["Fn::Sub"]
    (statement,) = [
        s
        for p in _props(resources, "IngestFunction")["Policies"]
        for s in _statements(p)
        if any(a.startswith("s3:") for a in _as_list(s["Action"]))
    ]
    resource_arn, arn_vars = statement["Resource"]["Fn::Sub"]

    assert sorted(_as_list(statement["Action"])) == ["s3:GetObject", "s3:GetObjectVersion"]
    # The name is spelled twice (a !Ref would be circular): both spellings must agree.
    assert resource_arn == f"arn:${{AWS::Partition}}:s3:::{bucket_name}/articles/*"
    assert arn_vars == bucket_vars


def test_table_is_encrypted_recoverable_and_streams_both_images(
    resources: dict[str, Any],
) -> None:
    props = _props(resources, "Table")

    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert resources["Table"]["DeletionPolicy"] == "Retain"


def test_queues_are_encrypted_and_dead_letters_kept_two_weeks(resources: dict[str, Any]) -> None:
    queues = [k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
    assert sorted(queues) == [
        "AudienceDeadLetterQueue",
        "CooldownDeadLetterQueue",
        "CooldownQueue",
        "IngestDeadLetterQueue",
        "NotifyDeadLetterQueue",
        "PushJobsDeadLetterQueue",
        "PushJobsQueue",
    ]
    for name in queues:
        props = _props(resources, name)
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name
        if name.endswith("DeadLetterQueue"):
            assert props["MessageRetentionPeriod"] == 14 * 24 * 3600, name


def test_push_jobs_queue_outlives_a_send_and_redrives_to_its_dead_letter_queue(
    resources: dict[str, Any],
) -> None:
    queue = _props(resources, "PushJobsQueue")
    send_timeout = _props(resources, "SendFunction")["Timeout"]

    # Lambda's advice for SQS sources: visibility at least six times the function timeout.
    assert queue["VisibilityTimeout"] >= 6 * send_timeout
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["PushJobsDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }


def test_all_queues_refuse_plain_http(resources: dict[str, Any]) -> None:
    policies = [r for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    covered = {
        q["Ref"]
        for p in policies
        for q in p["Properties"]["Queues"]
        if any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in _statements(p["Properties"]["PolicyDocument"])
        )
    }
    assert covered == {k for k, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}


def test_functions_run_python313_on_x86_with_the_layer_and_tracing(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["x86_64"]
    assert globals_["Layers"] == [{"Ref": "CommonLayer"}]
    assert globals_["Tracing"] == "Active"
    functions = sorted(k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function")
    assert functions == sorted(FUNCTIONS)
    for name in functions:
        props = _props(resources, name)
        assert props.get("Runtime", globals_["Runtime"]) == "python3.13"
        assert props.get("Handler", globals_.get("Handler")) == "app.lambda_handler"
    layer = resources["CommonLayer"]
    # Built by layers/common/Makefile for python3.13 on x86_64.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Metadata"]["BuildArchitecture"] == "x86_64"
    makefile = (PROJECT_ROOT / "layers" / "common" / "Makefile").read_text(encoding="utf-8")
    assert "\nbuild-CommonLayer:" in makefile
    assert layer["Properties"]["ContentUri"] == "layers/common"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_each_handler_file_defines_the_handler(template: dict[str, Any], logical_id: str) -> None:
    props = _props(template["Resources"], logical_id)
    handler = props.get("Handler", template["Globals"]["Function"]["Handler"])
    module, function = handler.rsplit(".", 1)
    source = PROJECT_ROOT / props["CodeUri"] / f"{module.replace('.', '/')}.py"

    assert source.is_file(), source
    tree = ast.parse(source.read_text(encoding="utf-8"))
    defined = {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    } | {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert function in defined


def test_function_policies_name_their_resources(resources: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        for policy in _props(resources, name)["Policies"]:
            assert isinstance(policy, dict), f"{name}: use explicit statements, not {policy!r}"
            for statement in _statements(policy):
                assert statement["Effect"] == "Allow", name
                for resource in _as_list(statement["Resource"]):
                    assert resource != "*", f"{name}: {statement.get('Sid')}"
                for action in _as_list(statement["Action"]):
                    assert "*" not in action, f"{name}: {action}"


# Conditions that narrow a statement below its partitions (to named attributes), never widen it.
NARROWING_CONDITIONS = {
    "ForAllValues:StringEquals": {"dynamodb:Attributes"},
    "StringEqualsIfExists": {"dynamodb:Select", "dynamodb:ReturnValues"},
}


def _table_statements(role: dict[str, Any]) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Each statement of a role's inline policies on the table: its DynamoDB actions and it."""
    for policy in role["Properties"].get("Policies", []):
        for statement in _statements(policy["PolicyDocument"]):
            actions = [a for a in _as_list(statement["Action"]) if a.startswith("dynamodb:")]
            if not actions:
                continue
            sid = statement.get("Sid")
            assert statement["Effect"] == "Allow", sid
            assert _as_list(statement["Resource"]) == [{"Fn::GetAtt": ["Table", "Arn"]}], sid
            conditions = statement.get("Condition", {})
            assert list(conditions)[:1] == ["ForAllValues:StringLike"], sid
            assert list(conditions["ForAllValues:StringLike"]) == ["dynamodb:LeadingKeys"], sid
            for operator, keys in conditions.items():
                if operator != "ForAllValues:StringLike":
                    assert set(keys) <= NARROWING_CONDITIONS.get(operator, set()), (sid, operator)
            yield actions, statement


def _table_grants(role: dict[str, Any]) -> dict[str, set[str]]:
    """Per DynamoDB action, the partition key patterns a role's inline policies allow."""
    grants: dict[str, set[str]] = {}
    for actions, statement in _table_statements(role):
        leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        for action in actions:
            grants.setdefault(action, set()).update(_as_list(leading))
    return grants


def _attribute_limits(role: dict[str, Any]) -> dict[str, set[str]]:
    """Per DynamoDB action, the attributes statements limited to some attributes allow."""
    limits: dict[str, set[str]] = {}
    for actions, statement in _table_statements(role):
        limited = statement["Condition"].get("ForAllValues:StringEquals", {})
        if "dynamodb:Attributes" not in limited:
            continue
        assert statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
            ARTICLES
        ], statement.get("Sid")
        for action in actions:
            limits.setdefault(action, set()).update(limited["dynamodb:Attributes"])
    return limits


@pytest.mark.parametrize("logical_id", sorted(TABLE_ACCESS))
def test_each_role_may_do_on_the_table_only_what_its_code_does(
    transformed: dict[str, Any], logical_id: str
) -> None:
    role = transformed["Resources"][f"{logical_id}Role"]

    assert _table_grants(role) == TABLE_ACCESS[logical_id]


@pytest.mark.parametrize("logical_id", sorted(TABLE_ACCESS))
def test_article_partitions_the_api_reaches_only_through_named_attributes(
    transformed: dict[str, Any], logical_id: str
) -> None:
    role = transformed["Resources"][f"{logical_id}Role"]

    assert _attribute_limits(role) == ENGAGEMENT_ATTRIBUTES.get(logical_id, {})


def test_engagement_writes_return_nothing_and_reads_name_their_attributes(
    resources: dict[str, Any],
) -> None:
    (policy,) = _props(resources, "SubscribeFunction")["Policies"]
    by_sid = {s.get("Sid"): s for s in _statements(policy)}
    read, count = by_sid["ReadArticleVersions"], by_sid["CountEngagement"]
    assert read["Condition"]["StringEqualsIfExists"] == {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
    assert count["Condition"]["StringEqualsIfExists"] == {"dynamodb:ReturnValues": "NONE"}


def test_table_access_covers_every_function() -> None:
    assert sorted(TABLE_ACCESS) == sorted(FUNCTIONS)


def test_transformed_roles_grant_nothing_on_every_resource(transformed: dict[str, Any]) -> None:
    roles = {k: r for k, r in transformed["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert sorted(roles) == sorted(f"{name}Role" for name in FUNCTIONS)
    for name, role in roles.items():
        for policy in role["Properties"].get("Policies", []):
            for statement in _statements(policy["PolicyDocument"]):
                assert "*" not in _as_list(statement["Resource"]), (name, policy["PolicyName"])


def test_failures_go_to_their_dead_letter_queues(transformed: dict[str, Any]) -> None:
    res = transformed["Resources"]

    invoke_config = res["IngestFunctionEventInvokeConfig"]["Properties"]
    assert invoke_config["MaximumRetryAttempts"] == 2
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]
    }
    stream = res["NotifyFunctionVersionStream"]["Properties"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["NotifyDeadLetterQueue", "Arn"]
    }
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["MaximumRetryAttempts"] == 3
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    audience = res["AudienceFunctionMembershipStream"]["Properties"]
    assert audience["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["AudienceDeadLetterQueue", "Arn"]
    }
    assert audience["BisectBatchOnFunctionError"] is True
    assert audience["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A batch's topics and its marker must fit one transaction.
    assert audience["BatchSize"] < 100
    # ... and the roles may send there (SAM adds these statements for destinations).
    for role, queue in (
        ("IngestFunctionRole", "IngestDeadLetterQueue"),
        ("NotifyFunctionRole", "NotifyDeadLetterQueue"),
        ("AudienceFunctionRole", "AudienceDeadLetterQueue"),
    ):
        granted = [
            s
            for p in res[role]["Properties"]["Policies"]
            for s in _statements(p["PolicyDocument"])
            if "sqs:SendMessage" in _as_list(s["Action"])
        ]
        assert {"Fn::GetAtt": [queue, "Arn"]} in [s["Resource"] for s in granted], role


def test_uploads_under_articles_trigger_ingest(transformed: dict[str, Any]) -> None:
    notification = transformed["Resources"]["ArticlesBucket"]["Properties"][
        "NotificationConfiguration"
    ]

    assert notification["LambdaConfigurations"] == [
        {
            "Event": "s3:ObjectCreated:*",
            "Function": {"Fn::GetAtt": ["IngestFunction", "Arn"]},
            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "articles/"}]}},
        }
    ]
    # Only S3 on behalf of this account may invoke it (not another account's bucket).
    permission = transformed["Resources"]["IngestFunctionUploadPermission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_send_reports_batch_item_failures(transformed: dict[str, Any]) -> None:
    mapping = transformed["Resources"]["SendFunctionPushJobs"]["Properties"]

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PushJobsQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumConcurrency" in mapping["ScalingConfig"]


def test_notify_stream_filter_is_the_contract_pattern(resources: dict[str, Any]) -> None:
    from stoppress_dev.template import stream_filter_patterns

    event = _props(resources, "NotifyFunction")["Events"]["VersionStream"]

    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream_filter_patterns("NotifyFunction", "VersionStream") == [
        NOTIFY_FILTER,
        NOTIFY_EMBARGO_FILTER,
    ]
    assert json.loads(NOTIFY_FILTER)["dynamodb"]["NewImage"]["audience"] == {
        "S": [{"anything-but": ["none"]}]
    }


def test_subscribe_routes_are_the_contract_routes(resources: dict[str, Any]) -> None:
    events = _props(resources, "SubscribeFunction")["Events"]
    routes = {
        name: (e["Properties"]["Method"], e["Properties"]["Path"]) for name, e in events.items()
    }

    assert routes == {
        "GetVapidPublicKey": ("GET", "/vapid-public-key"),
        "Subscribe": ("POST", "/subscriptions"),
        "Unsubscribe": ("DELETE", "/subscriptions"),
        "LookupSubscription": ("POST", "/subscriptions/lookup"),
        "NotificationEvent": ("POST", "/events"),
    }
    cors = _props(resources, "HttpApi")["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Ref": "SiteOrigin"}]


def test_notification_events_have_their_own_throttle(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    (stage,) = [
        r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    assert stage["Properties"]["RouteSettings"] == {
        "POST /events": {
            "ThrottlingBurstLimit": {"Ref": "EventsBurstLimit"},
            "ThrottlingRateLimit": {"Ref": "EventsRateLimit"},
        }
    }
    parameters = template["Parameters"]
    # One version's events all add to one item, which takes at most 1,000 writes a second.
    assert parameters["EventsRateLimit"]["MaxValue"] < 1000
    assert parameters["EventsRateLimit"]["Default"] <= parameters["EventsBurstLimit"]["Default"]


def test_the_dashboard_shows_engagement_beside_pushes_sent(resources: dict[str, Any]) -> None:
    body = json.loads(_props(resources, "Dashboard")["DashboardBody"]["Fn::Sub"])
    (pushes,) = [w for w in body["widgets"] if w["properties"]["title"] == "Pushes"]
    names = [m[1] for m in pushes["properties"]["metrics"]]
    assert {"PushesSent", "Clicks", "Unfollows"} <= set(names)


def test_the_dashboard_shows_the_audience(resources: dict[str, Any]) -> None:
    body = json.loads(_props(resources, "Dashboard")["DashboardBody"]["Fn::Sub"])
    (audience,) = [w for w in body["widgets"] if w["properties"]["title"] == "Audience"]
    names = [m[1] for m in audience["properties"]["metrics"]]
    assert names == ["Subscribers", "Unsubscribes"]


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_function_environment_uses_contract_names_only(
    template: dict[str, Any], logical_id: str
) -> None:
    names = set(_function_env(template, logical_id))

    assert names - CONTRACT_ENV - TOOLING_ENV == set()


@pytest.mark.parametrize(("logical_id", "settings"), sorted(FUNCTIONS.items()))
def test_function_environment_sets_every_setting_its_handler_reads(
    template: dict[str, Any], logical_id: str, settings: type[BaseModel]
) -> None:
    env = _function_env(template, logical_id)
    read = {field.alias for field in settings.model_fields.values() if field.alias}

    assert read - set(env) == set()


def test_loopback_push_endpoints_stay_off_when_deployed(template: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        value = _function_env(template, name).get("ALLOW_LOOPBACK_PUSH_ENDPOINTS", "false")
        assert value == "false", name
    assert _function_env(template, "SendFunction")["AWS_ENDPOINT_URL"] == ""


def test_vapid_keys_are_named_not_held(template: dict[str, Any]) -> None:
    # `stoppress vapid init` creates the SecureString; CloudFormation cannot and must not.
    types = {r["Type"] for r in template["Resources"].values()}
    key_parameters = {
        k: v for k, v in template["Parameters"].items() if "Vapid" in k and "Key" in k
    }

    assert "AWS::SSM::Parameter" not in types
    assert sorted(key_parameters) == [
        "VapidPrivateKeyParameterName",
        "VapidPublicKeyParameterName",
    ]
    assert key_parameters["VapidPrivateKeyParameterName"]["Default"] == (
        "/stoppress/vapid/private-key"
    )
    assert key_parameters["VapidPublicKeyParameterName"]["Default"] == (
        "/stoppress/vapid/public-key"
    )


def test_env_local_json_overrides_only_what_the_template_declares(
    template: dict[str, Any],
) -> None:
    local = json.loads(Path(PROJECT_ROOT, "env.local.json").read_text(encoding="utf-8"))

    assert sorted(local) == sorted(FUNCTIONS)
    for name, variables in local.items():
        declared = set(_function_env(template, name))
        # sam local invoke silently ignores variables the template does not declare.
        assert set(variables) == declared, name
        assert variables["AWS_ENDPOINT_URL"].startswith("http://host.docker.internal:")
        assert all(isinstance(v, str) for v in variables.values()), name
