import aiohttp
import pytest

from alpha_panda.status.client import StatusClient, StatusError


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://127.0.0.1", "http://"])
async def test_an_address_that_is_not_an_http_url_is_refused_with_an_example(url):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(StatusError, match="is not an API address; give one like http://"):
            StatusClient(url, http, token="t")
