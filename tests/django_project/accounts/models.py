from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The project's user model (AUTH_USER_MODEL)."""

    nickname = models.CharField(max_length=40, blank=True)
