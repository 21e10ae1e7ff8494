"""The Screen page and /api/screen: the API's numbers are `screen_at`'s numbers."""

from __future__ import annotations

import json
from datetime import date

from rotascope.config import Settings
from rotascope.fundamentals.screen import screen_at
from rotascope.monitor.run import Monitor
from rotascope.store.db import Store
from webclient import make_client


def test_screen_api_and_page(loaded_settings: Settings, monitor: Monitor, store: Store) -> None:
    with make_client(loaded_settings, monitor) as client:
        r = client.get("/api/screen", params={"as_of": "2015-07-04", "top": 20})  # a Saturday
        assert r.status_code == 200
        body = r.json()
        want = json.loads(screen_at(store, date(2015, 7, 2), 20).to_json())
        assert body == want and body["as_of"] == "2015-07-02" and len(body["rows"]) == 20
        assert client.get("/api/screen", params={"top": 0}).status_code == 422
        page = client.get("/screen", params={"as_of": "2015-06-30"})
        assert page.status_code == 200 and 'id="screen"' in page.text and "not investment advice" in page.text
