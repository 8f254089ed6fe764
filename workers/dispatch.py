"""`python -m workers.dispatch`: push the due pending jobs to Redis (for a plain crontab)."""

from workers.context import dispatch_due

if __name__ == "__main__":
    print(dispatch_due())
