"""Push endpoint rules: every hostile spelling is refused, real push endpoints pass."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stoppress.contracts.keys import subscription_id
from stoppress.core.errors import InvalidSubscriptionError
from stoppress.core.settings import PushEndpointSettings
from stoppress.webpush.endpoints import MAX_ENDPOINT_LENGTH, canonical_endpoint, validate_endpoint

DEPLOYED = PushEndpointSettings()
LOCAL = PushEndpointSettings(allow_loopback_endpoints=True)

REAL_ENDPOINTS = [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH-token_value",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABl-token",
    "https://web.push.apple.com/QGx-token",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD%2bXYZ",
    "https://fcm.googleapis.com/fcm/send/MiXeD-CaSe_Token:APA91b?Query=KeepS%2FCase",
]

# Other spellings of one endpoint, and the one spelling they all come out as.
SPELLINGS = {
    "https://FCM.googleapis.com/fcm/send/Tok": "https://fcm.googleapis.com/fcm/send/Tok",
    "HTTPS://fcm.googleapis.com/fcm/send/Tok": "https://fcm.googleapis.com/fcm/send/Tok",
    "hTtPs://Fcm.GoogleApis.COM/fcm/send/Tok": "https://fcm.googleapis.com/fcm/send/Tok",
    "https://fcm.googleapis.com:443/fcm/send/Tok": "https://fcm.googleapis.com/fcm/send/Tok",
    "https://fcm.googleapis.com:/fcm/send/Tok": "https://fcm.googleapis.com/fcm/send/Tok",
    "https://fcm.googleapis.com/fcm/send/Tok?": "https://fcm.googleapis.com/fcm/send/Tok",
    "https://FCM.googleapis.com:443/fcm/send/Tok?": "https://fcm.googleapis.com/fcm/send/Tok",
    "https://fcm.googleapis.com": "https://fcm.googleapis.com/",
    "https://wns2-par02p.notify.windows.com:443/w/?token=BQYAAAD%2bXYZ": (
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD%2bXYZ"
    ),
}
LOOPBACK_SPELLINGS = {
    "HTTP://LocalHost:8080/push/Abc": "http://localhost:8080/push/Abc",
    "http://127.0.0.1:80/push/Abc?": "http://127.0.0.1/push/Abc",
    "https://127.0.0.1:443/push/Abc": "https://127.0.0.1/push/Abc",
    "http://[::1]:8080/push/Abc": "http://[::1]:8080/push/Abc",
}

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
    assert canonical_endpoint(url) == url
    # So subscriptions stored before endpoints were canonicalised keep their ids.
    assert subscription_id(validate_endpoint(url, DEPLOYED)) == subscription_id(url)


@pytest.mark.parametrize(("spelling", "canonical"), SPELLINGS.items())
def test_other_spellings_come_out_as_one_endpoint(spelling: str, canonical: str) -> None:
    assert validate_endpoint(spelling, DEPLOYED) == canonical
    assert canonical_endpoint(spelling) == canonical
    assert validate_endpoint(canonical, DEPLOYED) == canonical


@pytest.mark.parametrize(("spelling", "canonical"), LOOPBACK_SPELLINGS.items())
def test_loopback_spellings_come_out_as_one_endpoint(spelling: str, canonical: str) -> None:
    assert validate_endpoint(spelling, LOCAL) == canonical
    assert validate_endpoint(canonical, LOCAL) == canonical


@pytest.mark.parametrize(
    "url", ["", "not a url", "https://[::1", "https://h:99999/x", "\ud800", "mailto:x"]
)
def test_canonicalising_what_is_not_an_endpoint_leaves_it_alone(url: str) -> None:
    assert canonical_endpoint(url) == url


@given(
    scheme=st.sampled_from(["https", "HTTPS", "Https"]),
    host=st.sampled_from(["fcm.googleapis.com", "FCM.GoogleAPIs.com", "web.push.apple.com"]),
    port=st.sampled_from(["", ":443", ":"]),
    path=st.text(alphabet=string.ascii_letters + string.digits + "-_:/%", max_size=40),
    query=st.sampled_from(["", "?", "?a=B", "?A=b&c=%2F"]),
)
def test_canonicalising_is_idempotent_and_keeps_path_and_query(
    scheme: str, host: str, port: str, path: str, query: str
) -> None:
    url = f"{scheme}://{host}{port}/{path}{query}"
    canonical = validate_endpoint(url, DEPLOYED)
    assert canonical == f"https://{host.lower()}/{path}{query.removesuffix('?')}"
    assert validate_endpoint(canonical, DEPLOYED) == canonical


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
