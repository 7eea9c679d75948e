"""The in-app feed per user and the e-mail that goes with it, sent after the transaction commits."""
