from django.db import models


class Invoice(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    total = models.DecimalField(max_digits=10, decimal_places=2)
