"""The Stripe boundary: the only module of the project that imports `stripe`.

It owns the gateway (PaymentIntents and refunds as small frozen values, Stripe's errors as problem
details), the webhook endpoint with its signature check, and the log of provider events. It imports only
`core`; the trade app calls it and receives verified events through the `PAYMENTS_EVENT_HANDLER` hook.
"""
