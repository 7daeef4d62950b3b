"""Django, asked the way the user's project would be: in the project's own interpreter, never in djgate's.

- `environment`: which interpreter, which settings module, where manage.py is.
- `modelstate`: which files of the judged tree can change the model state, statically.
- `probe`: runs `probe_script.py` (stdlib + Django only) on the staged tree, with a time limit and a cache.
- `verdict`: what the probe hands to the rules, as pure data.
"""
