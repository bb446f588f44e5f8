"""The template reader: what template.yaml declares, and the intrinsic functions it resolves.

Most tests read the real template, so a change there that the local stack or
the checks would misread shows up here; a small template written to a temporary
file covers what the real one does not declare.
"""

import json
from pathlib import Path

import pytest

from stoppress_dev import template as tpl

ALLOWED_HOSTS = (
    "fcm.googleapis.com,updates.push.services.mozilla.com,push.apple.com,notify.windows.com"
)
REFS = {
    **tpl.parameter_defaults(),
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "Table": "articles-table",
    "PushJobsQueue": "https://sqs/push-jobs",
    "CooldownQueue": "https://sqs/cooldown",
}
GETATTS = {
    ("PushJobsQueue", "Arn"): "arn:aws:sqs:eu-west-1:111122223333:push-jobs",
    ("PushJobsDeadLetterQueue", "Arn"): "arn:aws:sqs:eu-west-1:111122223333:push-jobs-dlq",
}
GLOBAL_ENV = {
    "POWERTOOLS_SERVICE_NAME": "stoppress",
    "POWERTOOLS_METRICS_NAMESPACE": "stoppress",
    "LOG_LEVEL": "INFO",
    "TABLE_NAME": "articles-table",
    "AWS_ENDPOINT_URL": "",
}


@pytest.fixture
def small_template(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(
        """
Parameters:
  Origin:
    Type: String
Globals:
  HttpApi:
    CorsConfiguration:
      AllowOrigins: ["*"]
Resources:
  Quiet:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/quiet/
  Bare:
    Type: AWS::SQS::Queue
""",
        encoding="utf-8",
    )
    return path


# -- resources and functions ---------------------------------------------------------------


def test_properties_of_a_resource_and_of_one_that_is_not_declared() -> None:
    assert tpl.properties("PushJobsQueue")["VisibilityTimeout"] == 1800
    assert tpl.properties("NoSuchResource") == {}


def test_function_settings_fall_back_to_the_globals() -> None:
    assert tpl.function_globals()["Timeout"] == 30
    assert tpl.function_setting("IngestFunction", "Timeout") == 60
    assert tpl.function_setting("IngestFunction", "MemorySize") == 512
    assert tpl.function_setting("SendFunction", "MemorySize") == {"Ref": "SendMemorySize"}
    assert tpl.function_setting("SendFunction", "Handler") == "app.lambda_handler"
    assert tpl.function_setting("SendFunction", "NoSuchSetting") is None


def test_event_properties() -> None:
    stream = tpl.event_properties("NotifyFunction", "VersionStream")
    assert stream["BatchSize"] == 10
    assert stream["MaximumRetryAttempts"] == 3
    assert tpl.event_properties("SendFunction", "PushJobs")["BatchSize"] == {"Ref": "SendBatchSize"}
    assert tpl.event_properties("NotifyFunction", "NoSuchEvent") == {}


def test_parameter_defaults_are_strings_and_only_where_declared() -> None:
    defaults = tpl.parameter_defaults()
    assert defaults["TopicShards"] == "64"
    assert defaults["AllowedPushHosts"] == ALLOWED_HOSTS
    assert defaults["AlarmEmail"] == ""
    assert "SiteBaseUrl" not in defaults
    assert "VapidSubject" not in defaults


def test_a_template_without_globals_or_defaults(small_template: Path) -> None:
    assert tpl.function_globals(small_template) == {}
    assert tpl.function_setting("Quiet", "Timeout", small_template) is None
    assert tpl.parameter_defaults(small_template) == {}
    assert tpl.function_environment("Quiet", path=small_template) == {}
    assert tpl.upload_trigger("Quiet", "Upload", small_template) == ([], [])
    assert tpl.api_routes("Quiet", small_template) == []
    assert tpl.queue_attributes("Bare", path=small_template) == {}


# -- resolve -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (10, "10"),
        (True, "true"),
        (False, "false"),
        ({"Ref": "TopicShards"}, "64"),
        ({"Ref": "SiteBaseUrl"}, None),
        ({"Fn::GetAtt": ["PushJobsQueue", "Arn"]}, GETATTS[("PushJobsQueue", "Arn")]),
        ({"Fn::GetAtt": ["PushJobsQueue", "QueueName"]}, None),
        ({"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}"}, "arn:aws:sqs:eu-west-1"),
        ({"Fn::Sub": "${PushJobsQueue.Arn}/x"}, GETATTS[("PushJobsQueue", "Arn")] + "/x"),
        (
            {"Fn::Sub": ["${Prefix}-${AWS::Region}", {"Prefix": {"Ref": "Table"}}]},
            "articles-table-eu-west-1",
        ),
        ({"Fn::Sub": ["${Prefix}-${AWS::Region}", {"Prefix": "p"}]}, "p-eu-west-1"),
        ({"Fn::Sub": "${!Literal} ${AWS::Region}"}, "${Literal} eu-west-1"),
        ({"Fn::Sub": "${SiteOrigin}/path"}, None),
        ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, 3]]}, "a-eu-west-1-3"),
        ({"Fn::Join": ["-", ["a", {"Ref": "SiteOrigin"}]]}, None),
        ({"Fn::Join": [";", {"Ref": "AllowedPushHosts"}]}, ALLOWED_HOSTS.replace(",", ";")),
        ({"Fn::Select": [0, ["a", "b"]]}, None),
        ({"Ref": "A", "Fn::Sub": "B"}, None),
        (None, None),
    ],
)
def test_resolve(value: object, expected: str | None) -> None:
    assert tpl.resolve(value, REFS, GETATTS) == expected


def test_resolve_against_values_in_the_real_template() -> None:
    send_env = tpl.properties("SendFunction")["Environment"]["Variables"]
    assert tpl.resolve(send_env["ALLOWED_PUSH_HOSTS"], REFS, GETATTS) == ALLOWED_HOSTS
    assert tpl.resolve(send_env["PUSH_QUEUE_URL"], REFS, GETATTS) == "https://sqs/push-jobs"
    key_policy = tpl.properties("OperationsKey")["KeyPolicy"]["Statement"][0]
    assert (
        tpl.resolve(key_policy["Principal"]["AWS"], REFS, GETATTS)
        == "arn:aws:iam::111122223333:root"
    )
    # The bucket name needs Fn::Select over the stack id: not something to guess locally.
    assert tpl.resolve(tpl.properties("ArticlesBucket")["BucketName"], REFS, GETATTS) is None


# -- what the functions see --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logical_id", "own"),
    [
        ("IngestFunction", {"INLINE_BODY_LIMIT": "100000", "EMBARGO_HORIZON_DAYS": "30"}),
        (
            "SubscribeFunction",
            {
                "VAPID_PUBLIC_KEY_PARAMETER": "/stoppress/vapid/public-key",
                "ALLOWED_PUSH_HOSTS": ALLOWED_HOSTS,
                "ALLOW_LOOPBACK_PUSH_ENDPOINTS": "false",
                "TOPIC_SHARDS": "64",
                "FOLLOW_EXPIRY_DAYS": "14",
                "SUBSCRIPTION_EXPIRY_DAYS": "300",
            },
        ),
        # SITE_BASE_URL refers to a parameter without a default: left for the caller.
        (
            "NotifyFunction",
            {
                "PUSH_QUEUE_URL": "https://sqs/push-jobs",
                "TOPIC_SHARDS": "64",
                "PUSH_TTL_HIGH": "3600",
                "PUSH_TTL_NORMAL": "43200",
                "PUSH_TTL_LOW": "86400",
                "SITE_ICON_URL": "",
                "SITE_BADGE_URL": "",
                "UPDATE_COOLDOWN_SECONDS": "600",
                "COOLDOWN_QUEUE_URL": "https://sqs/cooldown",
            },
        ),
        (
            "SendFunction",
            {
                "PUSH_QUEUE_URL": "https://sqs/push-jobs",
                "VAPID_PRIVATE_KEY_PARAMETER": "/stoppress/vapid/private-key",
                "ALLOWED_PUSH_HOSTS": ALLOWED_HOSTS,
                "ALLOW_LOOPBACK_PUSH_ENDPOINTS": "false",
                "PUSH_MAX_IN_FLIGHT": "128",
                "PUSH_SENDER_PROCESSES": "1",
                "PUSH_REQUEST_TIMEOUT": "10",
                "PUSH_MAX_ATTEMPTS": "5",
                "RETIRE_AFTER_FAILED_VERSIONS": "5",
                "RETIRE_AFTER_FAILING_HOURS": "72",
                "FOLLOW_EXPIRY_DAYS": "14",
                "SUBSCRIPTION_EXPIRY_DAYS": "300",
            },
        ),
    ],
)
def test_function_environment(logical_id: str, own: dict[str, str]) -> None:
    assert tpl.function_environment(logical_id, REFS, GETATTS) == {**GLOBAL_ENV, **own}


def test_function_environment_defaults_to_the_parameter_defaults() -> None:
    env = tpl.function_environment("SubscribeFunction")
    assert env["TOPIC_SHARDS"] == "64"
    assert env["LOG_LEVEL"] == "INFO"
    assert "TABLE_NAME" not in env  # a resource: only the caller knows its name


def test_upload_trigger() -> None:
    assert tpl.upload_trigger() == (
        ["s3:ObjectCreated:*"],
        [{"Name": "prefix", "Value": "articles/"}],
    )
    assert tpl.upload_trigger("SendFunction", "PushJobs") == ([], [])


def test_api_routes() -> None:
    assert tpl.api_routes() == [
        ("GET", "/vapid-public-key"),
        ("POST", "/subscriptions"),
        ("DELETE", "/subscriptions"),
        ("POST", "/subscriptions/lookup"),
        ("POST", "/events"),
    ]
    assert tpl.api_routes("SendFunction") == []


def test_cors_configuration() -> None:
    assert tpl.cors_configuration() == {
        "AllowOrigins": [{"Ref": "SiteOrigin"}],
        "AllowMethods": ["GET", "POST", "DELETE", "OPTIONS"],
        "AllowHeaders": ["content-type"],
        "MaxAge": 3600,
    }


def test_cors_configuration_from_the_globals(small_template: Path) -> None:
    assert tpl.cors_configuration(small_template) == {"AllowOrigins": ["*"]}


def test_queue_attributes_with_the_redrive_policy_once_its_target_resolves() -> None:
    assert tpl.queue_attributes("PushJobsQueue", REFS, GETATTS) == {
        "MessageRetentionPeriod": "86400",
        "VisibilityTimeout": "1800",
        "RedrivePolicy": json.dumps(
            {
                "deadLetterTargetArn": GETATTS[("PushJobsDeadLetterQueue", "Arn")],
                "maxReceiveCount": 5,
            }
        ),
    }
    assert tpl.queue_attributes("PushJobsQueue") == {
        "MessageRetentionPeriod": "86400",
        "VisibilityTimeout": "1800",
    }
    assert tpl.queue_attributes("PushJobsDeadLetterQueue") == {"MessageRetentionPeriod": "1209600"}


# -- the functions and their settings ----------------------------------------------------------


def test_functions_in_template_order_with_their_settings_resolved() -> None:
    def declared(
        logical_id: str, timeout_s: int, events: dict[str, str], memory_mb: int = 512
    ) -> tpl.FunctionDefinition:
        return tpl.FunctionDefinition(
            logical_id,
            handler="app.lambda_handler",
            code_uri=f"functions/{logical_id.removesuffix('Function').lower()}/",
            memory_mb=memory_mb,
            timeout_s=timeout_s,
            layer_ids=("CommonLayer",),
            events=events,
        )

    assert tpl.functions() == [
        declared("IngestFunction", 60, {"Upload": "S3"}),
        declared(
            "SubscribeFunction",
            10,
            {
                "GetVapidPublicKey": "HttpApi",
                "Subscribe": "HttpApi",
                "Unsubscribe": "HttpApi",
                "LookupSubscription": "HttpApi",
                "NotificationEvent": "HttpApi",
            },
        ),
        declared("NotifyFunction", 60, {"VersionStream": "DynamoDB", "CooldownWindows": "SQS"}),
        declared("AudienceFunction", 30, {"MembershipStream": "DynamoDB"}, memory_mb=256),
        # MemorySize: !Ref SendMemorySize, at the parameter's default.
        declared("SendFunction", 300, {"PushJobs": "SQS"}, memory_mb=1769),
    ]


def test_functions_resolve_against_the_refs_given() -> None:
    send = next(
        f for f in tpl.functions({"SendMemorySize": "3008"}) if f.logical_id == "SendFunction"
    )
    assert send.memory_mb == 3008


def test_functions_leave_what_is_not_declared_or_does_not_resolve_to_the_caller(
    small_template: Path, tmp_path: Path
) -> None:
    assert tpl.functions(path=small_template) == [
        tpl.FunctionDefinition(
            "Quiet", handler=None, code_uri="functions/quiet/", memory_mb=None, timeout_s=None
        )
    ]
    path = tmp_path / "layers.yaml"
    path.write_text(
        """
Parameters:
  Memory:
    Type: Number
Globals:
  Function:
    Layers: [!Ref Shared]
    Timeout: soon
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
  Own:
    Type: AWS::Serverless::LayerVersion
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.handle
      MemorySize: !Ref Memory
      Layers:
        - arn:aws:lambda:eu-west-1:111122223333:layer:elsewhere:1
        - !Ref Own
      Events:
        Jobs:
          Type: SQS
""",
        encoding="utf-8",
    )
    (worker,) = tpl.functions(path=path)
    assert worker.handler == "worker.handle"
    assert worker.memory_mb is None  # a parameter without a default
    assert worker.timeout_s is None  # not a number
    assert worker.layer_ids == ("Shared", "Own")  # the globals first; the ARN is not ours
    assert worker.events == {"Jobs": "SQS"}
