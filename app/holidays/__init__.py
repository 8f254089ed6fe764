"""The national calendar (放假安排) for years the chinesecalendar library does not know yet.

The State Council publishes the next year's holidays and make-up working days (调休) each November.
The platform operator enters or imports that schedule once, for every township (/platform/calendar,
or `flask --app wsgi minqing national-calendar FILE`). WorkCalendar (app/townships/workdays.py)
reads, in this order: the township's own days > these national entries > chinesecalendar >
weekends. Entering a year's schedule recomputes the due dates of open matters that reach it.
"""
