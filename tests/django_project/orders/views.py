from django.http import HttpResponse

from orders.models import Order


def count(request):
    return HttpResponse(str(Order.objects.count()))
