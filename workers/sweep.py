"""`python -m workers.sweep`: enqueue today's reminder sweeps (for a plain crontab)."""

from workers.context import enqueue_sweeps

if __name__ == "__main__":
    print(enqueue_sweeps())
