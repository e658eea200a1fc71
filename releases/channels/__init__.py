"""Low-level channel clients used by the release adapters.

Framework-light on purpose: no Django imports, no database. `wechat` talks to the WeChat
official-account publishing API, `fake_wechat` is a loopback stand-in for it in tests and
demos, and `webhooks` signs and sends Standard Webhooks deliveries. The adapters that map a
`Release` onto these clients live one level up and own the retry and idempotency policy.
"""
