from django.contrib import admin

from catalog import models

admin.site.register(models.Product)
