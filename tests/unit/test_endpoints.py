"""Push endpoint rules: every hostile spelling is refused, real push endpoints pass."""

import pytest

from stoppress.core.errors import InvalidSubscriptionError
from stoppress.core.settings import PushEndpointSettings
from stoppress.webpush.endpoints import MAX_ENDPOINT_LENGTH, validate_endpoint

DEPLOYED = PushEndpointSettings()
LOCAL = PushEndpointSettings(allow_loopback_endpoints=True)

REAL_ENDPOINTS = [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH-token_value",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABl-token",
    "https://web.push.apple.com/QGx-token",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD%2bXYZ",
    "https://FCM.googleapis.com/fcm/send/upper-case-host",
    "https://fcm.googleapis.com:443/fcm/send/explicit-default-port",
]

HOSTILE_ENDPOINTS = {
    "metadata ip": "https://169.254.169.254/latest/meta-data/",
    "metadata ip over http": "http://169.254.169.254/latest/meta-data/",
    "private 10/8": "https://10.0.0.1/push",
    "private 172.16/12": "https://172.16.5.4/push",
    "private 192.168/16": "https://192.168.1.1/push",
    "public ip": "https://8.8.8.8/push",
    "decimal integer ip": "https://2130706433/push",
    "decimal metadata ip": "https://2852039166/latest/meta-data/",
    "hex integer ip": "https://0x7f000001/push",
    "hex dotted ip": "https://0x7f.1/push",
    "octal ip": "https://0177.0.0.1/push",
    "short dotted ip": "https://127.1/push",
    "ipv6 loopback": "https://[::1]/push",
    "ipv6 mapped v4": "https://[::ffff:169.254.169.254]/push",
    "ipv6 unique local": "https://[fd00::1]/push",
    "ipv6 link local with zone": "https://[fe80::1%25eth0]/push",
    "look-alike suffix": "https://fcm.googleapis.com.evil.example/push",
    "no dot boundary": "https://evilfcm.googleapis.com/push",
    "parent of allowed host": "https://googleapis.com/push",
    "unrelated host": "https://evil.example/push",
    "credentials": "https://user:pass@fcm.googleapis.com/push",
    "user only": "https://fcm.googleapis.com@evil.example/push",
    "empty userinfo": "https://@fcm.googleapis.com/push",
    "http": "http://fcm.googleapis.com/push",
    "other scheme": "ftp://fcm.googleapis.com/push",
    "javascript": "javascript:alert(1)",
    "no scheme": "//fcm.googleapis.com/push",
    "no host": "https:///push",
    "over-long": "https://fcm.googleapis.com/" + "a" * MAX_ENDPOINT_LENGTH,
    "fragment": "https://fcm.googleapis.com/push#frag",
    "fragment hiding host": "https://evil.example#@fcm.googleapis.com/push",
    "backslash": "https://evil.example\\@fcm.googleapis.com/push",
    "other port": "https://fcm.googleapis.com:8443/push",
    "bad port": "https://fcm.googleapis.com:99999/push",
    "port zero": "https://fcm.googleapis.com:0/push",
    "cyrillic look-alike": "https://fcm.googleаpis.com/push",
    "fullwidth dot": "https://fcm.googleapis\uff0ecom/push",
    "punycode look-alike": "https://xn--fcm-9cd.googleapis.com/push",
    "trailing dot": "https://fcm.googleapis.com./push",
    "empty label": "https://fcm..googleapis.com/push",
    "percent-encoded host": "https://fcm.googleapis%2ecom/push",
    "whitespace": "https://fcm.googleapis.com/pu sh",
    "tab smuggling": "https://fcm.googleapis.com\t.evil.example/push",
    "newline": "https://fcm.googleapis.com/push\n",
    "localhost when not allowed": "http://localhost:8080/push",
    "loopback when not allowed": "http://127.0.0.1:8080/push",
    "empty": "",
}


@pytest.mark.parametrize("url", REAL_ENDPOINTS)
def test_real_push_endpoints_pass_unchanged(url: str) -> None:
    assert validate_endpoint(url, DEPLOYED) == url


@pytest.mark.parametrize("url", HOSTILE_ENDPOINTS.values(), ids=HOSTILE_ENDPOINTS.keys())
def test_hostile_endpoints_are_refused(url: str) -> None:
    with pytest.raises(InvalidSubscriptionError) as caught:
        validate_endpoint(url, DEPLOYED)
    assert caught.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://2130706433/push",
        "https://fcm.googleapis.com.evil.example/push",
        "https://user:pass@127.0.0.1/push",
        "http://127.0.0.1:8080/push#frag",
        "http://127.1:8080/push",
        "http://[::ffff:127.0.0.1]:8080/push",
        "http://10.0.0.1:8080/push",
    ],
)
def test_loopback_setting_does_not_open_anything_else(url: str) -> None:
    with pytest.raises(InvalidSubscriptionError):
        validate_endpoint(url, LOCAL)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/push/abc",
        "http://127.9.9.9:1234/push/abc",
        "https://127.0.0.1/push/abc",
        "http://localhost:8080/push/abc",
        "http://[::1]:8080/push/abc",
    ],
)
def test_loopback_allowed_only_when_the_setting_says_so(url: str) -> None:
    assert validate_endpoint(url, LOCAL) == url
    with pytest.raises(InvalidSubscriptionError):
        validate_endpoint(url, DEPLOYED)


def test_allowlist_comes_from_settings() -> None:
    settings = PushEndpointSettings.model_validate({"ALLOWED_PUSH_HOSTS": "push.example.net"})
    assert validate_endpoint("https://eu.push.example.net/p/1", settings)
    with pytest.raises(InvalidSubscriptionError):
        validate_endpoint("https://fcm.googleapis.com/fcm/send/x", settings)


def test_reason_names_the_rule() -> None:
    with pytest.raises(InvalidSubscriptionError, match="https"):
        validate_endpoint("http://fcm.googleapis.com/push", DEPLOYED)
    with pytest.raises(InvalidSubscriptionError, match="push service"):
        validate_endpoint("https://evil.example/push", DEPLOYED)
    with pytest.raises(InvalidSubscriptionError, match="IP address"):
        validate_endpoint("https://169.254.169.254/", DEPLOYED)
