"""The editors' side: accounts (passwords, API tokens, sign-in limits), withdrawals from
public view, and uploads added in the background (jobs). Every change is audited."""
