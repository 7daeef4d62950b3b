from django.db import models


class MoneyField(models.DecimalField):
    """A decimal with the project's precision: models import it, so it can change the model state."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)
