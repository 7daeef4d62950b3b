from django.db import models


class Order(models.Model):
    reference = models.CharField(max_length=32, unique=True)
    created = models.DateTimeField(auto_now_add=True)
