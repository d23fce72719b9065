"""What the operator discloses so members can check it: the monthly proof of liabilities."""
