from django.conf import settings
from django.db import models

from catalog.fields import MoneyField


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = MoneyField()
    currency = models.CharField(max_length=3, choices=settings.CURRENCIES, default="EUR")
