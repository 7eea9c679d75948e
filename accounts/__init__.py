"""Users (e-mail login), organisations (producer, buyer, network), memberships and roles, tokens and
invitations, and which organisation a request acts for."""
