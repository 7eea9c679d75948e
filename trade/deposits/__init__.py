"""Deposits: the buyer pays part of a signed contract by card; the platform holds it until staff release it
to the producer (outside Stripe: Connect does not pay out to Peru) or it is refunded through Stripe.

The rule everywhere: Stripe is never called inside an open transaction. Each use case commits what it is
about to do (the deposit row with its idempotency key, a claim on creating its intent, a refund reserved on
the deposit), then calls Stripe, then records the outcome with a compare-and-set update. A crash between
the two leaves a row that `reconcile_deposits` finishes with the same idempotency key.

Amounts: a fixed deposit amount is taken as agreed. A percentage needs the contract's value, which is known
only under a fixed price (`trade.terms.fixed_value_minor`); under an LBMA formula the value is known on the
day of the fix, which this API does not record, so a percentage deposit on an LBMA contract is refused (409
`deposit_value_unknown`): the parties agree a fixed deposit amount in the terms instead.

The package, one concern a module: `selectors` (reads, scoped to the caller), `create` (the deposit and its
PaymentIntent), `refunds`, `release`, `cancel` (the contract is cancelled), `stripe_sync` (the webhook's
handler, following the PaymentIntent, and `reconcile_deposits`); `_shared` holds what they share.
"""
