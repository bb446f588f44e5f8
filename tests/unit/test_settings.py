"""Settings: one declaration per variable, and every default is what template.yaml sets.

A default that differs from the template is a trap: a test, the local stack or
a developer's shell that leaves the variable out would run with a value the
deployed function never sees (the shard count once was 16 here and 64 there).
"""

from typing import Any

import pytest
from pydantic import BaseModel

from stoppress.core import settings as settings_module
from stoppress.core.settings import IngestSettings, NotifySettings, SendSettings, SubscribeSettings
from stoppress_dev import template

FUNCTIONS: dict[str, type[BaseModel]] = {
    "IngestFunction": IngestSettings,
    "SubscribeFunction": SubscribeSettings,
    "NotifyFunction": NotifySettings,
    "SendFunction": SendSettings,
}
# Values no template default can give: the deployment supplies them.
REQUIRED_STAND_INS = {
    "TABLE_NAME": "stoppress-table",
    "PUSH_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/push-jobs",
    "COOLDOWN_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/cooldown",
    "SITE_BASE_URL": "https://news.example.com",
    "VAPID_SUBJECT": "mailto:newsroom@example.com",
}


def _required(model: type[BaseModel]) -> dict[str, Any]:
    return {
        field.alias: REQUIRED_STAND_INS.get(str(field.alias), "x")
        for field in model.model_fields.values()
        if field.is_required() and field.alias
    }


@pytest.mark.parametrize(("logical_id", "model"), sorted(FUNCTIONS.items()))
def test_every_default_is_what_the_template_sets(logical_id: str, model: type[BaseModel]) -> None:
    deployed = template.function_environment(logical_id)
    by_default = model.model_validate(_required(model))
    as_deployed = model.model_validate({**_required(model), **deployed})

    differing = {
        field.alias: (getattr(by_default, name), getattr(as_deployed, name))
        for name, field in model.model_fields.items()
        if not field.is_required() and field.alias in deployed
        if getattr(by_default, name) != getattr(as_deployed, name)
    }
    assert differing == {}


def test_each_variable_is_declared_once() -> None:
    owners: dict[str, set[str]] = {}
    for value in vars(settings_module).values():
        if isinstance(value, type) and issubclass(value, BaseModel):
            for name, field in value.model_fields.items():
                # A field a model inherits is the parent's declaration, not a second one.
                if name in value.__annotations__ and field.alias:
                    owners.setdefault(field.alias, set()).add(value.__name__)

    assert {alias: names for alias, names in owners.items() if len(names) > 1} == {}


def test_subscribe_and_notify_agree_on_the_shard_count() -> None:
    subscribe = template.function_environment("SubscribeFunction")["TOPIC_SHARDS"]
    notify = template.function_environment("NotifyFunction")["TOPIC_SHARDS"]

    assert subscribe == notify
    assert SubscribeSettings.model_fields["topic_shards"].default == int(notify)
