"""The requirement catalogue and policy (data), evidence and its files, the review workflow, buyer KYC
and the compliance engine (`policy.py`) with its SQL twin."""
