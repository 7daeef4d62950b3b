from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from orders.models import Order


def order_detail(request, pk):
    order = get_object_or_404(Order, pk=pk)
    return JsonResponse({"reference": order.reference})
