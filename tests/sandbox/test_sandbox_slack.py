"""Slack simulator through slack_sdk: auth errors, history (newest first, no thread replies except
broadcasts), replies (parent first), cursors, limits."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from pipelines.sandbox import Organisation
from pipelines.sandbox.ids import slack_ts_us


@pytest.fixture(scope="module")
def slack(env: dict[str, str]) -> WebClient:
    return WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_BASE_URL"])


def _busiest_channel(org: Organisation) -> str:
    return max(
        (c for c in org.slack_logs if org.slack_logs[c].threads), key=lambda c: len(org.slack_logs[c].top)
    )


def test_auth_errors_are_http_200(env: dict[str, str], http: httpx.Client) -> None:
    wrong = WebClient(token="xoxb-not-the-token", base_url=env["SLACK_BASE_URL"])
    with pytest.raises(SlackApiError) as err:
        wrong.users_list()
    assert err.value.response.status_code == 200 and err.value.response["error"] == "invalid_auth"
    r = http.post(env["SLACK_BASE_URL"] + "users.list")
    assert r.status_code == 200 and r.json() == {"ok": False, "error": "not_authed"}


def test_history_pages_newest_first(slack: WebClient, org: Organisation) -> None:
    channel = _busiest_channel(org)
    log = org.slack_logs[channel]
    # slack_sdk yields the same response object for every page: copy each page's data as it comes.
    pages = [dict(p.data) for p in slack.conversations_history(channel=channel, limit=40)]
    assert len(pages) == -(-len(log.top) // 40)
    messages = [m for p in pages for m in p["messages"]]
    assert [m["ts"] for m in messages] == [m["ts"] for m in reversed(log.top)]
    assert pages[0]["has_more"] and not pages[-1]["has_more"]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    # Thread replies stay out of history, except the ones broadcast to the channel.
    replies = {r["ts"] for rs in log.threads.values() for r in rs if r.get("subtype") != "thread_broadcast"}
    assert replies and not replies & {m["ts"] for m in messages}
    parents = [m for m in messages if m.get("reply_count")]
    assert parents and all(m["latest_reply"] >= m["ts"] for m in parents)


def test_history_window_and_limit(slack: WebClient, org: Organisation) -> None:
    channel = _busiest_channel(org)
    log = org.slack_logs[channel]
    oldest, latest = log.top[10]["ts"], log.top[30]["ts"]
    got = slack.conversations_history(channel=channel, oldest=oldest, latest=latest, limit=999)["messages"]
    assert [m["ts"] for m in got] == [m["ts"] for m in reversed(log.top[11:30])]
    inclusive = slack.conversations_history(channel=channel, oldest=oldest, latest=latest, inclusive=True)
    assert len(inclusive["messages"]) == 21
    big = slack.conversations_history(channel=channel, limit=5000)
    assert len(big["messages"]) == min(999, len(log.top))
    with pytest.raises(SlackApiError) as err:
        slack.conversations_history(channel="C0000NOPE00")
    assert err.value.response["error"] == "channel_not_found"


def test_replies_parent_first_then_chronological(slack: WebClient, org: Organisation) -> None:
    channel = _busiest_channel(org)
    log = org.slack_logs[channel]
    parent_ts = max(log.threads, key=lambda t: len(log.threads[t]))
    replies = log.threads[parent_ts]
    pages = [dict(p.data) for p in slack.conversations_replies(channel=channel, ts=parent_ts, limit=2)]
    assert len(pages) == len(replies)
    for page in pages:
        assert page["messages"][0]["ts"] == parent_ts
    got = [m for p in pages for m in p["messages"][1:]]
    assert [m["ts"] for m in got] == [r["ts"] for r in replies]
    assert all(m["thread_ts"] == parent_ts for m in got)
    assert [slack_ts_us(m["ts"]) for m in got] == sorted(slack_ts_us(m["ts"]) for m in got)
    with pytest.raises(SlackApiError) as err:
        slack.conversations_replies(channel=channel, ts="1.000001")
    assert err.value.response["error"] == "thread_not_found"


def test_channels_and_users(slack: WebClient, org: Organisation) -> None:
    inc = next(i for i in org.io_incidents.values() if i["slack_channel_id"])
    info = slack.conversations_info(channel=inc["slack_channel_id"], include_num_members=True)["channel"]
    assert info["id"] == inc["slack_channel_id"] and info["name"] == inc["slack_channel_name"]
    assert info["num_members"] >= 2
    members = [m for page in slack.users_list(limit=7) for m in page["members"]]
    assert [m["id"] for m in members] == [u["id"] for u in org.slack_users]
    channels = [
        c
        for page in slack.conversations_list(types="public_channel,private_channel", limit=10)
        for c in page["channels"]
    ]
    assert {c["id"] for c in channels} == set(org.slack_channels)
    public = [c for page in slack.conversations_list(limit=999) for c in page["channels"]]
    assert all(not c["is_private"] for c in public)
