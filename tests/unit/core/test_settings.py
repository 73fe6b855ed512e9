import pytest

from alpha_panda.core.settings import SettingsError, load_settings

VALID = {
    "service_name": "risk-manager",
    "namespace": "paper",
    "kafka_bootstrap": "127.0.0.1:9092",
    "postgres_dsn": "postgresql://alpha@127.0.0.1:5432/alpha_panda",
    "redis_url": "redis://127.0.0.1:6379/0",
}


def test_valid_settings_derive_the_consumer_group_from_the_service_name():
    settings = load_settings(**VALID)
    assert settings.consumer_group == "alpha-panda.risk-manager"
    assert settings.topics.signals_raw == "paper.signals.raw"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("namespace", "live", "ALPHA_PANDA_NAMESPACE"),
        (
            "kafka_bootstrap",
            "localhost",
            "ALPHA_PANDA_KAFKA_BOOTSTRAP: Value error, expected host:port",
        ),
        (
            "postgres_dsn",
            "mysql://x",
            "ALPHA_PANDA_POSTGRES_DSN: Value error, expected postgresql://",
        ),
        ("redis_url", "http://x", "ALPHA_PANDA_REDIS_URL: Value error, expected redis://"),
        ("http_port", "99999", "ALPHA_PANDA_HTTP_PORT"),
        ("service_name", "Risk Manager", "ALPHA_PANDA_SERVICE_NAME"),
    ],
)
def test_an_invalid_setting_is_named_with_its_expected_form(field, value, message):
    with pytest.raises(SettingsError) as error:
        load_settings(**{**VALID, field: value})
    assert message in str(error.value)


def test_missing_settings_are_all_named(monkeypatch):
    for name in ("SERVICE_NAME", "NAMESPACE", "KAFKA_BOOTSTRAP", "POSTGRES_DSN", "REDIS_URL"):
        monkeypatch.delenv(f"ALPHA_PANDA_{name}", raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings()
    for name in ("SERVICE_NAME", "NAMESPACE", "KAFKA_BOOTSTRAP", "POSTGRES_DSN", "REDIS_URL"):
        assert f"ALPHA_PANDA_{name}: Field required" in str(error.value)


def test_secrets_do_not_show_in_the_settings_repr():
    settings = load_settings(**VALID, kite_access_token="tok-abcdef123456")
    assert "tok-abcdef123456" not in repr(settings)
    assert settings.access_token().get_secret_value() == "tok-abcdef123456"
