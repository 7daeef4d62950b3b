"""DJG601-605, the workflow rules: realistic code each rule must flag (`# expect: DJG6xx` marks the line of
the finding) and look-alikes it must leave alone, all judged in one real repository; then the scope of
judgement (touched functions only), the exemptions, the doors and the configuration."""

from __future__ import annotations

import functools
import json
import re
import time
from typing import NamedTuple

import pytest

from djgate.config import load_config
from djgate.engine import check_staged
from djgate.findings import Finding
from djgate.gitrepo import GitRepo
from djgate.rules import all_rules

from .conftest import Repo, family_codes, family_findings

EXPECT = re.compile(r"# expect: ((?:DJG6\d\d ?)+)")


class Case(NamedTuple):
    rule: str  # the section it belongs to
    name: str
    path: str
    source: str

    @property
    def expected(self) -> set[tuple[str, int]]:
        return {
            (code, number)
            for number, line in enumerate(self.source.splitlines(), 1)
            for match in EXPECT.finditer(line)
            for code in match[1].split()
        }

    @property
    def flagged(self) -> bool:
        return any(code == self.rule for code, _ in self.expected)


def cases(rule: str, text: str) -> list[Case]:
    """The cases of one rule: each starts with a `# == <name> <path>` line; its source follows."""
    found = []
    for chunk in text.split("# == ")[1:]:
        header, _, source = chunk.partition("\n")
        name, path = header.split()
        found.append(Case(rule, name, path, source.rstrip("\n") + "\n"))
    return found


# -- DJG601 http-without-timeout ----------------------------------------------------------------------------

HTTP = cases(
    "DJG601",
    """
# == requests-get orders/rates.py
import requests


def exchange_rate(currency):
    response = requests.get(f"https://api.example.com/rates/{currency}")  # expect: DJG601
    response.raise_for_status()
    return response.json()["rate"]

# == requests-post-multiline orders/webhooks.py
import requests
from django.conf import settings


def notify_warehouse(order):
    requests.post(  # expect: DJG601
        settings.WAREHOUSE_URL,
        json={"order": order.pk, "lines": [line.sku for line in order.lines.all()]},
        headers={"Authorization": f"Bearer {settings.WAREHOUSE_TOKEN}"},
    )

# == requests-alias orders/shipping.py
import requests as http


def update_tracking(shipment):
    return http.put(f"https://carrier.example/v2/{shipment.code}", data={"ref": shipment.pk})  # expect: DJG601

# == from-requests-import billing/geo.py
from requests import post


def geocode(address):
    return post("https://geo.example/search", data={"q": address}).json()  # expect: DJG601

# == requests-request billing/refunds.py
import requests


def void_payment(payment):
    requests.request("DELETE", f"https://psp.example/payments/{payment.reference}")  # expect: DJG601

# == session-in-function billing/psp.py
import requests


def capture(payment, api_key):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {api_key}"})
    session.post(f"https://psp.example/payments/{payment.reference}/capture")  # expect: DJG601
    return session.get(f"https://psp.example/payments/{payment.reference}").json()  # expect: DJG601

# == module-session catalog/feeds.py
import requests

SESSION = requests.Session()


def fetch_feed(url):
    return SESSION.get(url).content  # expect: DJG601

# == httpx-get catalog/images.py
import httpx


def image_bytes(url):
    return httpx.get(url, follow_redirects=True).content  # expect: DJG601

# == async-client-no-timeout catalog/sync.py
import httpx


async def push_product(product):
    async with httpx.AsyncClient(base_url="https://shop.example/api") as client:
        await client.post("/products", json={"sku": product.sku})  # expect: DJG601

# == httpx-client-assigned catalog/search.py
import httpx


def reindex(products):
    client = httpx.Client(base_url="https://search.example")
    for product in products:
        client.put(f"/docs/{product.pk}", json=product.as_document())  # expect: DJG601
    client.close()

# == urllib-urlopen orders/legacy_feed.py
import json
import urllib.request


def legacy_orders(url):
    with urllib.request.urlopen(url) as response:  # expect: DJG601
        return json.load(response)

# == urlopen-with-data-only orders/ping.py
from urllib.request import urlopen


def ping(url, payload):
    return urlopen(url, payload).status  # expect: DJG601

# == timeout-none billing/fx.py
import requests


def rates():
    return requests.get("https://fx.example/latest", timeout=None).json()  # expect: DJG601

# == timeout-given orders/rates_ok.py
import requests


def exchange_rate(currency):
    return requests.get(f"https://api.example.com/rates/{currency}", timeout=5).json()["rate"]

# == timeout-tuple orders/webhooks_ok.py
import requests

TIMEOUT = (3.05, 27)


def notify_warehouse(order):
    requests.post("https://warehouse.example/orders", json={"order": order.pk}, timeout=TIMEOUT)

# == timeout-in-kwargs orders/http_utils.py
import requests


def get_json(url, **kwargs):
    return requests.get(url, **kwargs).json()

# == client-with-timeout catalog/search_ok.py
import httpx


def reindex(products):
    with httpx.Client(base_url="https://search.example", timeout=10.0) as client:
        for product in products:
            client.put(f"/docs/{product.pk}", json=product.as_document())

# == client-with-timeout-object catalog/sync_ok.py
import httpx


async def push_product(product):
    timeout = httpx.Timeout(10.0, connect=2.0)
    async with httpx.AsyncClient(timeout=timeout) as client:
        await client.post("https://shop.example/api/products", json={"sku": product.sku})

# == session-made-elsewhere billing/psp_client.py
import requests


class PspClient:
    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def capture(self, reference):
        return self.session.post(f"https://psp.example/payments/{reference}/capture").json()

# == mounted-adapter billing/psp_adapter.py
import requests

from billing.http import TimeoutHTTPAdapter


def capture(reference):
    session = requests.Session()
    session.mount("https://", TimeoutHTTPAdapter(timeout=5))
    return session.post(f"https://psp.example/payments/{reference}/capture").json()

# == urlopen-positional-timeout orders/ping_ok.py
import urllib.request
from urllib.request import urlopen


def ping(url):
    return urlopen(url, None, 10).status


def ping_named(url):
    return urllib.request.urlopen(url, timeout=10).status

# == parameter-shadows-module-client catalog/clients.py
import httpx

client = httpx.Client(base_url="https://search.example")


def fetch(client, url):
    # the caller's client, not the module's
    return client.get(url)

# == not-the-library orders/pending.py
def latest(requests):
    # `requests` here is a dict of pending requests, not the library
    return requests.get("latest")

# == dict-and-querydict-get orders/filters.py
import requests
from django.core.cache import cache


def page_of(request):
    page = request.GET.get("page", 1)
    return cache.get(f"page:{page}") or {}.get("page")

# == partial-with-timeout catalog/fetch.py
import functools

import requests

fetch = functools.partial(requests.get, timeout=10)


def product_page(url):
    return fetch(url).text

# == test-file orders/tests/test_rates.py
import requests


def test_the_sandbox_answers():
    assert requests.get("https://sandbox.example/health").ok
""",
)

# -- DJG602 writes-without-atomic ---------------------------------------------------------------------------

ATOMIC = cases(
    "DJG602",
    """
# == create-and-bulk-create orders/services.py
from orders.models import Order, OrderLine


def place_order(cart):  # expect: DJG606
    order = Order.objects.create(customer=cart.customer, total=cart.total)  # expect: DJG602
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, sku=item.sku, quantity=item.quantity) for item in cart.items]
    )
    return order

# == two-saves billing/transfers.py
def transfer(source, target, amount):
    source.balance -= amount
    source.save(update_fields=["balance"])  # expect: DJG602
    target.balance += amount
    target.save(update_fields=["balance"])

# == save-then-create billing/accounts.py
from billing.models import Profile


def register(user, company):
    user.is_active = True
    user.save()  # expect: DJG602
    Profile.objects.create(user=user, company=company)

# == get-or-create-then-update billing/customers.py
from billing.models import Customer, Order


def claim_orders(email):
    customer, _ = Customer.objects.get_or_create(email=email)  # expect: DJG602
    Order.objects.filter(customer=None, email=email).update(customer=customer)
    return customer

# == m2m-add-and-save billing/staff.py
from django.contrib.auth.models import Group


def make_editor(user):
    group = Group.objects.get(name="editors")
    group.user_set.add(user)  # expect: DJG602
    user.is_staff = True
    user.save()

# == delete-then-create billing/plans.py
from billing.models import Subscription


def change_plan(user, plan):
    Subscription.objects.filter(user=user).delete()  # expect: DJG602
    return Subscription.objects.create(user=user, plan=plan)

# == form-save-then-event orders/intake.py
from orders.models import OrderEvent


def accept(form):
    order = form.save()  # expect: DJG602
    OrderEvent.objects.create(order=order, kind="created")
    return order

# == writes-after-the-atomic-block orders/fulfilment.py
from django.db import transaction

from orders.models import Notification


def ship(order, shipment):
    with transaction.atomic():
        order.status = "shipped"
        order.save()
        shipment.save()
    Notification.objects.create(user=order.customer, text="shipped")  # expect: DJG602
    order.customer.save(update_fields=["last_order"])

# == loop-and-save orders/pricing.py
def reprice(order, prices):
    for line in order.lines.all():
        line.price = prices[line.sku]
        line.save()  # expect: DJG602
    order.total = sum(line.price for line in order.lines.all())
    order.save()

# == model-save-override catalog/models.py
from django.db import models


class Product(models.Model):
    price = models.IntegerField()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)  # expect: DJG602
        PriceHistory.objects.create(product=self, price=self.price)


class PriceHistory(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    price = models.IntegerField()

# == update-or-create-and-delete catalog/stock.py
from catalog.models import Reservation, Stock


def restock(sku, quantity):
    Stock.objects.update_or_create(sku=sku, defaults={"quantity": quantity})  # expect: DJG602
    Reservation.objects.filter(sku=sku, expired=True).delete()

# == branch-then-write orders/archive.py
def close(order, note):
    if note:
        order.note_set.create(text=note)  # expect: DJG602
    order.closed = True
    order.save()

# == async-writes orders/async_checkout.py
from orders.models import Order


async def place(cart):
    order = await Order.objects.acreate(customer=cart.customer)  # expect: DJG602
    async for line in cart.lines.all():
        line.order = order
        await line.asave()

# == async-save-and-update orders/async_status.py
from orders.models import Order


async def close(order):
    order.closed = True
    await order.asave()  # expect: DJG602
    await Order.objects.filter(parent=order).aupdate(closed=True)

# == decorated-atomic orders/services_ok.py
from django.db import transaction

from orders.models import Order, OrderLine


@transaction.atomic
def place_order(cart):
    order = Order.objects.create(customer=cart.customer, total=cart.total)
    OrderLine.objects.bulk_create([OrderLine(order=order, sku=i.sku) for i in cart.items])
    return order

# == with-atomic billing/transfers_ok.py
from django.db import transaction


def transfer(source, target, amount):
    with transaction.atomic():
        source.balance -= amount
        source.save(update_fields=["balance"])
        target.balance += amount
        target.save(update_fields=["balance"])

# == imported-atomic-with-using billing/ledger.py
from django.db.transaction import atomic

from billing.models import Entry


@atomic(using="ledger")
def book(debit, credit, amount):
    Entry.objects.create(account=debit, amount=-amount)
    Entry.objects.create(account=credit, amount=amount)

# == single-update-with-f billing/wallet.py
from django.db.models import F

from billing.models import Wallet


def withdraw(wallet_id, amount):
    return Wallet.objects.filter(pk=wallet_id, balance__gte=amount).update(balance=F("balance") - amount)

# == if-else-branches billing/settings_store.py
from billing.models import Setting


def store(key, value, existing=None):
    if existing is not None:
        existing.value = value
        existing.save()
    else:
        Setting.objects.create(key=key, value=value)

# == try-except-alternative billing/profiles.py
from django.db import IntegrityError

from billing.models import Profile


def ensure_profile(user, plan):
    try:
        Profile.objects.create(user=user, plan=plan)
    except IntegrityError:
        Profile.objects.filter(user=user).update(plan=plan)

# == early-return orders/cancel.py
def cancel(order):
    if order.is_draft:
        order.delete()
        return None
    order.status = "cancelled"
    order.save()
    return order

# == not-orm-calls orders/render.py
import io

import stripe
from django.core.cache import cache


def receipt(order, image, context):
    context.update(title=f"Receipt {order.pk}")
    cache.delete(f"receipt:{order.pk}")
    cache.set(f"receipt:{order.pk}", context)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    seen = set()
    seen.add(order.pk)
    stripe.Customer.create(email=order.email)
    order.save()
    return buffer

# == commit-false orders/intake_ok.py
def accept(form, user):
    order = form.save(commit=False)
    order.created_by = user
    order.save()
    return order

# == on-commit-lambda orders/confirm.py
from django.db import transaction

from orders.tasks import send_receipt


def confirm(order):
    order.confirmed = True
    order.save()
    transaction.on_commit(lambda: send_receipt.delay(order.pk))

# == method-decorator-on-class orders/web.py
from django.db import transaction
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views import View

from orders import services


@method_decorator(transaction.atomic, name="dispatch")
class CheckoutView(View):
    def post(self, request):
        cart = services.current_cart(request)
        order = cart.to_order()
        order.save()
        cart.delete()
        return redirect(order)

# == session-save orders/carts.py
def remember_cart(request, cart):
    request.session["cart"] = cart.pk
    request.session.save()
    cart.save()

# == migration orders/migrations/0002_backfill.py
from django.db import migrations


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    for order in Order.objects.all():
        order.total = 0
        order.save()
    Order.objects.filter(status="").update(status="new")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

# == own-wrapper-module orders/tracing.py
from contextlib import contextmanager

from django.db import transaction
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


@contextmanager
def traced_atomic_transaction():
    with transaction.atomic():
        with tracer.start_as_current_span("transaction") as span:
            span.set_attribute("component", "orm")
            yield


@contextmanager
def otel_trace(span_name):
    with tracer.start_as_current_span(span_name):
        yield

# == own-wrapper-with orders/checkout_complete.py
from .models import Checkout, Order
from .tracing import otel_trace, traced_atomic_transaction


def complete(checkout):
    with traced_atomic_transaction():
        order = Order.objects.create(customer=checkout.customer, total=checkout.total)
        checkout.lines.all().update(order=order)
        Checkout.objects.filter(pk=checkout.pk).delete()
    return order


def abandon(checkout):
    with otel_trace("checkout.abandon"):
        checkout.lines.all().delete()  # expect: DJG602
        Checkout.objects.filter(pk=checkout.pk).delete()

# == own-wrapper-decorator orders/mutations/fulfil.py
from ..models import Fulfillment, Order, OrderEvent
from ..tracing import otel_trace, traced_atomic_transaction


@traced_atomic_transaction()
def fulfil(order, lines):
    fulfillment = Fulfillment.objects.create(order=order)
    fulfillment.lines.bulk_create(lines)
    Order.objects.filter(pk=order.pk).update(status="fulfilled")


@otel_trace("orders.cancel")
def cancel(order):
    order.status = "cancelled"
    order.save()  # expect: DJG602
    OrderEvent.objects.create(order=order, kind="cancelled")

# == own-wrapper-from-another-app billing/refunds_traced.py
from orders import tracing
from orders.tracing import traced_atomic_transaction

from billing.models import Refund


def refund(payment, amount):
    with traced_atomic_transaction():
        Refund.objects.create(payment=payment, amount=amount)
        payment.refunds_total += amount
        payment.save()


def refund_all(payment):
    with tracing.traced_atomic_transaction():
        Refund.objects.create(payment=payment, amount=payment.total)
        payment.save()


def refund_untraced(payment, amount):
    Refund.objects.create(payment=payment, amount=amount)  # expect: DJG602
    payment.save()

# == decorator-wrapper-same-module billing/settlement.py
import functools

from django.db import transaction

from billing.models import Ledger, Settlement


def atomic_with_audit(func):
    @functools.wraps(func)
    def inner(*args, **kwargs):
        with transaction.atomic():
            return func(*args, **kwargs)

    return inner


def with_audit(func):
    @functools.wraps(func)
    def inner(*args, **kwargs):
        return func(*args, **kwargs)

    return inner


@atomic_with_audit
def settle(batch):
    Settlement.objects.create(batch=batch)
    Ledger.objects.filter(batch=batch).update(settled=True)


@with_audit
def settle_late(batch):
    Settlement.objects.create(batch=batch)  # expect: DJG602
    Ledger.objects.filter(batch=batch).update(settled=True)

# == wrapper-returns-atomic catalog/replica.py
from django.db import transaction

from catalog.models import Price, Product


def primary_atomic():
    return transaction.atomic(using="primary")


def reprice(product, amount):
    with primary_atomic():
        Price.objects.create(product=product, amount=amount)
        Product.objects.filter(pk=product.pk).update(price=amount)

# == row-lock-in-the-callers-transaction catalog/allocations.py
from catalog.models import Allocation, Stock


def allocation_qs_select_for_update():
    return Allocation.objects.select_related("stock").select_for_update(of=("self",))


def deallocate(lines):
    allocations = list(allocation_qs_select_for_update().filter(line__in=lines))
    for allocation in allocations:
        allocation.stock.quantity_allocated -= allocation.quantity_allocated
        allocation.quantity_allocated = 0
    Allocation.objects.bulk_update(allocations, ["quantity_allocated"])
    Stock.objects.bulk_update([a.stock for a in allocations], ["quantity_allocated"])


def release(stock_id, lines):
    Allocation.objects.filter(line__in=lines).delete()
    Stock.objects.select_for_update().filter(pk=stock_id).update(quantity_allocated=0)

# == row-lock-in-its-own-block catalog/restock.py
from django.db import transaction

from catalog.models import Stock, StockEvent


def restock(stock_id, quantity, user):
    StockEvent.objects.create(stock_id=stock_id, kind="restock", user=user)  # expect: DJG602
    with transaction.atomic():
        stock = Stock.objects.select_for_update().get(pk=stock_id)
        stock.quantity += quantity
        stock.save()
    StockEvent.objects.create(stock_id=stock_id, kind="restocked", user=user)

# == helpers-in-the-callers-transaction orders/checkout_flow.py
from django.db import transaction

from .models import Checkout, Order, OrderLine
from .tracing import traced_atomic_transaction


def _create_order(checkout):
    order = Order.objects.create(customer=checkout.customer)
    OrderLine.objects.bulk_create([OrderLine(order=order, sku=line.sku) for line in checkout.lines.all()])
    return order


def _release(checkout):
    Checkout.objects.filter(pk=checkout.pk).update(locked=False)  # expect: DJG602
    OrderLine.objects.filter(checkout=checkout).delete()


def place(checkout):
    order = Order.objects.create(customer=checkout.customer)  # expect: DJG602
    OrderLine.objects.bulk_create([OrderLine(order=order, sku=line.sku) for line in checkout.lines.all()])
    return order


def complete(checkout):
    with traced_atomic_transaction():
        order = _create_order(checkout)
        _release(checkout)
    return order


def complete_now(checkout):
    with transaction.atomic():
        return place(checkout)


def abandon(checkout):
    _release(checkout)

# == method-in-the-callers-transaction catalog/bulk_mutations.py
from orders.tracing import traced_atomic_transaction

from catalog.models import Product, ProductMedia
from catalog.mutations import BaseMutation


class ProductBulkCreate(BaseMutation):
    @classmethod
    def save(cls, products, media):
        Product.objects.bulk_create(products)
        ProductMedia.objects.bulk_create(media)

    @classmethod
    @traced_atomic_transaction()
    def perform_mutation(cls, root, info, **data):
        products, media = cls.clean_products(data)
        cls.save(products, media)
        return cls(products=products)


class ProductBulkImport(BaseMutation):
    @classmethod
    def save(cls, products, media):
        Product.objects.bulk_create(products)  # expect: DJG602
        ProductMedia.objects.bulk_create(media)

    @classmethod
    def perform_mutation(cls, root, info, **data):
        products, media = cls.clean_products(data)
        cls.save(products, media)
        return cls(products=products)

# == test-file billing/tests/test_transfers.py
def test_transfer(account_factory):
    source = account_factory(balance=10)
    source.save()
    target = account_factory(balance=0)
    target.save()
""",
)

# -- DJG603 orm-write-in-view -------------------------------------------------------------------------------

VIEWS = cases(
    "DJG603",
    """
# == function-view orders/views.py
from django.shortcuts import get_object_or_404, redirect

from orders.models import Order


def cancel(request, pk):
    order = get_object_or_404(Order, pk=pk, customer=request.user)
    order.status = "cancelled"
    order.save(update_fields=["status"])  # expect: DJG603
    return redirect(order)

# == queryset-update billing/views.py
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from billing.models import Invoice


@require_POST
def mark_paid(request, pk):
    Invoice.objects.filter(pk=pk).update(paid=True)  # expect: DJG603
    return HttpResponse(status=204)

# == views-package orders/views/cart.py
from django.shortcuts import redirect

from orders.models import Cart, CartItem


def add_to_cart(request, product_id):
    cart = Cart.objects.get(session_key=request.session.session_key)
    CartItem.objects.create(cart=cart, product_id=product_id)  # expect: DJG603
    return redirect("cart")

# == related-manager-in-view orders/views/account.py
from django.contrib.auth.models import Group
from django.shortcuts import redirect


def join_beta(request):
    request.user.groups.add(Group.objects.get(name="beta"))  # expect: DJG603
    return redirect("account")

# == api-module orders/api.py
from rest_framework.decorators import api_view
from rest_framework.response import Response

from orders.models import Like


@api_view(["POST"])
def like(request, pk):
    Like.objects.get_or_create(user=request.user, order_id=pk)  # expect: DJG603
    return Response(status=201)

# == drf-viewset-action orders/viewsets.py
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from orders.models import Order
from orders.serializers import OrderSerializer


class OrderViewSet(viewsets.ModelViewSet):
    queryset = Order.objects.all()
    serializer_class = OrderSerializer

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        order.status = "cancelled"
        order.save()  # expect: DJG603
        return Response({"status": order.status})

# == drf-apiview billing/endpoints.py
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Refund


class RefundView(APIView):
    def post(self, request, pk):
        refund = Refund.objects.create(payment_id=pk, amount=request.data["amount"])  # expect: DJG603
        return Response({"id": refund.pk}, status=201)

# == ninja-router orders/routes.py
from ninja import Router

from orders.models import Order

router = Router()


@router.post("/orders/{pk}/cancel")
def cancel_order(request, pk: int):
    Order.objects.filter(pk=pk, customer=request.user).update(status="cancelled")  # expect: DJG603
    return {"ok": True}

# == drf-api-view-elsewhere billing/handlers.py
from rest_framework.decorators import api_view
from rest_framework.response import Response

from billing.models import Coupon


@api_view(["DELETE"])
def revoke(request, code):
    Coupon.objects.filter(code=code).delete()  # expect: DJG603
    return Response(status=204)

# == class-based-view catalog/views.py
from django.shortcuts import get_object_or_404, redirect
from django.views import View

from catalog.models import Product


class ProductDeleteView(View):
    def post(self, request, pk):
        get_object_or_404(Product, pk=pk).delete()  # expect: DJG603
        return redirect("catalog:list")

# == bulk-update orders/views/bulk.py
from django.http import JsonResponse

from orders.models import Order


def archive(request):
    orders = list(Order.objects.filter(pk__in=request.POST.getlist("ids")))
    for order in orders:
        order.archived = True
    Order.objects.bulk_update(orders, ["archived"])  # expect: DJG603
    return JsonResponse({"archived": len(orders)})

# == two-writes-in-view orders/views/checkout.py
from django.shortcuts import redirect

from orders.models import Order, Payment


def pay(request, pk):
    order = Order.objects.get(pk=pk)
    Payment.objects.create(order=order, amount=order.total)  # expect: DJG602 DJG603
    order.paid = True
    order.save()
    return redirect(order)

# == async-view orders/views/likes.py
from django.http import JsonResponse

from orders.models import Like


async def like(request, pk):
    await Like.objects.aget_or_create(user_id=request.user.pk, order_id=pk)  # expect: DJG603
    return JsonResponse({"ok": True})

# == read-only-view orders/views/detail.py
from django.shortcuts import get_object_or_404, render

from orders.models import Order


def detail(request, pk):
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    return render(request, "orders/detail.html", {"order": order, "lines": order.lines.all()})

# == calls-the-service orders/views/cancel.py
from django.shortcuts import redirect

from orders import services


def cancel(request, pk):
    order = services.cancel_order(order_id=pk, by=request.user)
    return redirect(order)

# == form-valid orders/views/create.py
from django.views.generic import CreateView

from orders.forms import OrderForm


class OrderCreateView(CreateView):
    form_class = OrderForm

    def form_valid(self, form):
        self.object = form.save()
        return super().form_valid(form)

# == perform-create orders/views/api_orders.py
from rest_framework import generics

from orders.serializers import OrderSerializer


class OrderList(generics.ListCreateAPIView):
    serializer_class = OrderSerializer

    def perform_create(self, serializer):
        serializer.save(customer=self.request.user)

# == formset-save billing/views/lines.py
from django.shortcuts import redirect, render

from billing.forms import LineFormSet


def edit_lines(request, pk):
    formset = LineFormSet(request.POST or None, instance_id=pk)
    if formset.is_valid():
        formset.save()
        return redirect("billing:invoice", pk=pk)
    return render(request, "billing/lines.html", {"formset": formset})

# == cache-session-context billing/views/dashboard.py
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import render


def dashboard(request):
    context = {"invoices": request.user.invoices.all()}
    context.update(title="Dashboard")
    cache.delete(f"dashboard:{request.user.pk}")
    request.session["seen_dashboard"] = True
    messages.success(request, "Welcome back")
    return render(request, "billing/dashboard.html", context)

# == service-module billing/services.py
from billing.models import Invoice


def mark_paid(invoice_id: int) -> int:
    return Invoice.objects.filter(pk=invoice_id).update(paid=True)

# == ninja-get catalog/routes.py
from ninja import Router

from catalog.models import Product

router = Router()


@router.get("/products")
def products(request):
    return list(Product.objects.values("sku", "name"))

# == viewset-read-only catalog/viewsets.py
from rest_framework import viewsets

from catalog.models import Product


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return Product.objects.filter(active=True).order_by("name")

# == serializer-create orders/serializers.py
from rest_framework import serializers

from orders.models import Order


class OrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "total"]

    def create(self, validated_data):
        return Order.objects.create(**validated_data)

# == admin-action orders/admin.py
from django.contrib import admin

from orders.models import Order


@admin.action(description="Mark as shipped")
def mark_shipped(modeladmin, request, queryset):
    queryset.update(status="shipped")

# == test-views orders/tests/views.py
from orders.models import Order


def make_order(request):
    return Order.objects.create(customer=request.user)
""",
)

# -- DJG604 check-then-act ----------------------------------------------------------------------------------

RACES = cases(
    "DJG604",
    """
# == not-exists-then-create billing/coupons.py
from billing.models import Redemption


def redeem(user, code):
    if not Redemption.objects.filter(user=user, code=code).exists():
        Redemption.objects.create(user=user, code=code)  # expect: DJG604

# == exists-guard-then-create billing/signup.py
from billing.models import Subscriber


def subscribe(email):
    if Subscriber.objects.filter(email__iexact=email).exists():
        raise ValueError("already subscribed")
    return Subscriber.objects.create(email=email)  # expect: DJG604

# == get-except-create billing/profiles_race.py
from billing.models import Profile


def profile_for(user):
    try:
        return Profile.objects.get(user=user)
    except Profile.DoesNotExist:
        return Profile.objects.create(user=user)  # expect: DJG604

# == get-except-new-save orders/carts_race.py
from orders.models import Cart


def cart_for(session_key):
    try:
        cart = Cart.objects.get(session_key=session_key)
    except Cart.DoesNotExist:
        cart = Cart(session_key=session_key)
        cart.save()  # expect: DJG604
    return cart

# == object-does-not-exist orders/wishlists.py
from django.core.exceptions import ObjectDoesNotExist

from orders.models import Wishlist


def wishlist_for(user):
    try:
        wishlist = Wishlist.objects.get(owner=user)
    except ObjectDoesNotExist:
        wishlist = Wishlist.objects.create(owner=user)  # expect: DJG604
    return wishlist

# == queryset-in-a-name catalog/polls.py
from catalog.models import Vote


def vote(poll, user, choice):
    existing = Vote.objects.filter(poll=poll, user=user)
    if existing.exists():
        raise PermissionError("already voted")
    Vote.objects.create(poll=poll, user=user, choice=choice)  # expect: DJG604

# == new-instance-save catalog/tags.py
from catalog.models import Tag


def tag_named(name):
    if not Tag.objects.filter(name=name).exists():
        tag = Tag(name=name, slug=name.lower())
        tag.save()  # expect: DJG604

# == atomic-is-not-enough catalog/seats.py
from django.db import transaction

from catalog.models import Seat


def book(show, number, user):
    with transaction.atomic():
        if not Seat.objects.filter(show=show, number=number).exists():
            Seat.objects.create(show=show, number=number, holder=user)  # expect: DJG604

# == boolean-test orders/referrals.py
from orders.models import Referral


def refer(referrer, email, force=False):
    if Referral.objects.filter(email=email).exists() and not force:
        return None
    return Referral.objects.create(referrer=referrer, email=email)  # expect: DJG604

# == method-of-a-class orders/follows.py
from orders.models import Follow


class FollowService:
    def follow(self, follower, followee):
        try:
            Follow.objects.get(follower=follower, followee=followee)
        except Follow.DoesNotExist:
            Follow.objects.create(follower=follower, followee=followee)  # expect: DJG604

# == elif billing/memberships.py
from billing.models import Membership


def join(user, team):
    if team.closed:
        raise PermissionError("closed")
    elif not Membership.objects.filter(user=user, team=team).exists():
        Membership.objects.create(user=user, team=team)  # expect: DJG604

# == async-exists billing/invites.py
from billing.models import Invite


async def invite(team, email):
    if not await Invite.objects.filter(team=team, email=email).aexists():
        await Invite.objects.acreate(team=team, email=email)  # expect: DJG604

# == get-or-create billing/coupons_ok.py
from billing.models import Redemption


def redeem(user, code):
    redemption, created = Redemption.objects.get_or_create(user=user, code=code)
    return created

# == other-model billing/audit.py
from billing.models import AuditLog, Profile


def check_profile(user):
    if not Profile.objects.filter(user=user).exists():
        AuditLog.objects.create(user=user, event="missing profile")

# == then-update billing/vouchers.py
from billing.models import Voucher


def use_voucher(code):
    if not Voucher.objects.filter(code=code).exists():
        raise LookupError(code)
    return Voucher.objects.filter(code=code, used=False).update(used=True)

# == locked-parent-row billing/entries.py
from django.db import transaction

from billing.models import Account, Entry


def book_once(account_id, reference, amount):
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        if not Entry.objects.filter(account=account, reference=reference).exists():
            Entry.objects.create(account=account, reference=reference, amount=amount)

# == save-of-fetched orders/payments.py
from orders.models import Order


def pay(pk):
    if Order.objects.filter(pk=pk, status="open").exists():
        order = Order.objects.get(pk=pk)
        order.status = "paid"
        order.save()

# == get-except-return orders/lookup.py
from orders.models import Order


def find(reference):
    try:
        return Order.objects.get(reference=reference)
    except Order.DoesNotExist:
        return None

# == multiple-objects orders/dedupe.py
from orders.models import Customer


def customer_for(email):
    try:
        return Customer.objects.get(email=email)
    except Customer.MultipleObjectsReturned:
        return Customer.objects.create(email=f"dup+{email}")

# == redirect-only orders/views/shop.py
from django.shortcuts import redirect, render

from orders.models import Order


def history(request):
    if not Order.objects.filter(customer=request.user).exists():
        return redirect("shop")
    return render(request, "orders/history.html")

# == create-before-check orders/events.py
from orders.models import Event


def record(order, kind):
    Event.objects.create(order=order, kind=kind)
    if Event.objects.filter(order=order, kind="failed").exists():
        order.flag()

# == bulk-create-ignore-conflicts catalog/imports.py
from catalog.models import Sku


def import_skus(codes):
    if Sku.objects.filter(code__in=codes).exists():
        codes = [c for c in codes if c]
    Sku.objects.bulk_create([Sku(code=c) for c in codes], ignore_conflicts=True)

# == integrity-error-elsewhere billing/subscriptions.py
from django.db import IntegrityError

from billing.models import Subscription


def activate(user, plan):
    try:
        subscription = Subscription.objects.get(user=user)
    except Subscription.DoesNotExist:
        subscription = Subscription.objects.create(user=user, plan=plan)  # expect: DJG602 DJG604
    try:
        subscription.renewals.create(plan=plan)
    except IntegrityError:
        pass
    return subscription

# == dummy-user-then-update-fields orders/confirmations.py
from django.core.exceptions import ObjectDoesNotExist, ValidationError

from orders.models import Customer
from orders.tokens import confirmation_token


def confirm_email(email, token):
    unknown = False
    try:
        customer = Customer.objects.get(email=email)
    except ObjectDoesNotExist:
        # a stand-in, so that an unknown address takes as long to refuse as a known one
        unknown = True
        customer = Customer()
    valid = confirmation_token.check_token(customer, token)
    if not valid or unknown:
        raise ValidationError({"token": "invalid"})
    customer.is_confirmed = True
    customer.save(update_fields=["is_confirmed", "updated_at"])

# == create-under-integrity-error orders/contacts.py
from django.db import IntegrityError, transaction

from orders.models import Organization


def organization_for(info):
    try:
        organization = Organization.objects.get(lookup_key=info["lookup_key"])
    except Organization.DoesNotExist:
        try:
            with transaction.atomic():
                organization = Organization.objects.create(**info)
        except IntegrityError:
            # created by another worker since the get: read it again
            organization = Organization.objects.get(lookup_key=info["lookup_key"])
    return organization

# == save-under-integrity-error-tuple catalog/documents.py
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from catalog.models import Document


async def store(item):
    try:
        document = await Document.objects.aget(external_id=item.external_id)
    except Document.DoesNotExist:
        document = Document(external_id=item.external_id, source=item.source)
    document.sha1 = item.sha1
    try:
        await document.asave()
    except (IntegrityError, ValidationError):
        item.mark_failed("duplicate document")
        return None
    return document

# == missing-parent-then-reply catalog/comments.py
from django.http import Http404

from catalog.models import Comment


def reply(parent_id, author, text):
    try:
        parent = Comment.objects.get(pk=parent_id)
    except Comment.DoesNotExist:
        raise Http404("no such comment") from None
    return Comment.objects.create(parent=parent, author=author, text=text)

# == not-found-then-other-create orders/claims.py
from django.http import Http404

from orders.models import Claim, Order


def open_claim(reference, reason):
    try:
        order = Order.objects.get(reference=reference)
    except Order.DoesNotExist:
        raise Http404(reference) from None
    return Claim.objects.create(order=order, reason=reason)
""",
)

# -- DJG605 unique-together ---------------------------------------------------------------------------------

UNIQUE = cases(
    "DJG605",
    """
# == pair billing/models.py
from django.db import models


class Coupon(models.Model):
    customer = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    code = models.CharField(max_length=20)

    class Meta:
        unique_together = ("customer", "code")  # expect: DJG605

# == list-of-one orders/models.py
from django.db import models


class Seat(models.Model):
    show = models.ForeignKey("Show", on_delete=models.CASCADE)
    number = models.IntegerField()

    class Meta:
        ordering = ["number"]
        unique_together = [("show", "number")]  # expect: DJG605

# == several catalog/models_variants.py
from django.db import models


class Variant(models.Model):
    product = models.ForeignKey("Product", on_delete=models.CASCADE)
    sku = models.CharField(max_length=32)
    position = models.IntegerField()

    class Meta:
        unique_together = (("product", "sku"), ("product", "position"))  # expect: DJG605

# == lists catalog/models_prices.py
from django.db import models


class Price(models.Model):
    product = models.ForeignKey("Product", on_delete=models.CASCADE)
    currency = models.CharField(max_length=3)

    class Meta:
        unique_together = [["product", "currency"]]  # expect: DJG605

# == multiline orders/models_slots.py
from django.db import models


class Slot(models.Model):
    day = models.DateField()
    hour = models.IntegerField()
    room = models.CharField(max_length=10)

    class Meta:
        verbose_name = "slot"
        unique_together = (  # expect: DJG605
            ("day", "hour", "room"),
        )

# == abstract-base orders/models_base.py
from django.db import models


class TenantScoped(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE)
    slug = models.SlugField()

    class Meta:
        abstract = True
        unique_together = ("tenant", "slug")  # expect: DJG605

# == inherited-meta orders/models_pages.py
from django.db import models

from orders.models_base import TenantScoped


class Page(TenantScoped):
    title = models.CharField(max_length=100)

    class Meta(TenantScoped.Meta):
        unique_together = ("tenant", "title")  # expect: DJG605

# == annotated billing/models_ledger.py
from django.db import models


class LedgerLine(models.Model):
    ledger = models.ForeignKey("Ledger", on_delete=models.CASCADE)
    number = models.IntegerField()

    class Meta:
        unique_together: tuple[str, ...] = ("ledger", "number")  # expect: DJG605

# == from-a-constant billing/models_keys.py
from django.db import models

KEY_FIELDS = ("issuer", "number")


class Card(models.Model):
    issuer = models.CharField(max_length=20)
    number = models.CharField(max_length=20)

    class Meta:
        unique_together = KEY_FIELDS  # expect: DJG605

# == proxy-style-meta catalog/models_links.py
from django.db import models


class Link(models.Model):
    source = models.ForeignKey("Product", related_name="+", on_delete=models.CASCADE)
    target = models.ForeignKey("Product", related_name="+", on_delete=models.CASCADE)

    class Meta:
        db_table = "catalog_links"
        unique_together = ["source", "target"]  # expect: DJG605
        indexes = [models.Index(fields=["target"])]

# == unique-constraint billing/models_ok.py
from django.db import models


class Coupon(models.Model):
    customer = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    code = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "code"], name="unique_coupon_customer_code"),
        ]

# == unique-field billing/models_codes.py
from django.db import models


class GiftCode(models.Model):
    code = models.CharField(max_length=20, unique=True)

# == migration billing/migrations/0003_coupon_unique.py
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_coupon")]
    operations = [
        migrations.AlterUniqueTogether(name="coupon", unique_together={("customer", "code")}),
    ]

# == comment catalog/models_notes.py
from django.db import models


class Note(models.Model):
    text = models.TextField()

    class Meta:
        # unique_together was replaced by a UniqueConstraint in 0007
        ordering = ["-id"]

# == string catalog/models_help.py
from django.db import models


class Rule(models.Model):
    help = models.TextField(default="unique_together is deprecated, see the constraints")

# == module-variable catalog/checks.py
unique_together = ("sku", "warehouse")


def key(row):
    return tuple(row[field] for field in unique_together)

# == reading-meta catalog/introspect.py
def unique_sets(model):
    return list(model._meta.unique_together) + [c.fields for c in model._meta.constraints]

# == emptied orders/models_moved.py
from django.db import models


class Booking(models.Model):
    day = models.DateField()
    room = models.CharField(max_length=10)

    class Meta:
        unique_together = ()
        constraints = [models.UniqueConstraint(fields=["day", "room"], name="unique_booking_day_room")]

# == options-dict orders/model_factory.py
from django.db import models


def make_model(name, fields):
    meta = type("Meta", (), {"app_label": "orders"})
    options = {"unique_together": [tuple(fields)]}
    return type(name, (models.Model,), {"Meta": meta, "__module__": "orders.models", **options})

# == test-models orders/tests/models.py
from django.db import models


class Fixture(models.Model):
    a = models.IntegerField()
    b = models.IntegerField()

    class Meta:
        unique_together = ("a", "b")

# == meta-at-module-level catalog/serializer_meta.py
class Meta:
    unique_together = ("a", "b")
""",
)

# -- DJG606 untyped-service-function ------------------------------------------------------------------------

TYPED = cases(
    "DJG606",
    """
# == untyped-refund billing/services/refunds.py
from billing.models import Refund


def refund(order, amount):  # expect: DJG606
    return Refund.objects.create(order=order, amount=amount)

# == selector-keyword-only catalog/selectors.py
from django.db.models import QuerySet

from catalog.models import Product


def products_in(category, *, include_hidden=False) -> QuerySet[Product]:  # expect: DJG606
    products = Product.objects.filter(category=category)
    return products if include_hidden else products.filter(visible=True)

# == selector-no-return orders/selectors/history.py
from orders.models import Customer, Order


def order_history(customer: Customer, limit: int = 20):  # expect: DJG606
    return list(Order.objects.filter(customer=customer).order_by("-created")[:limit])

# == ninja-resolver catalog/schemas.py
from ninja import Schema


class ProductOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_price(obj):  # expect: DJG606
        return f"{obj.price:.2f} {obj.currency}"

# == service-class-method billing/services/invoices.py
from billing.models import Invoice


class InvoiceService:
    def __init__(self, numbering: str) -> None:
        self.numbering = numbering

    def issue(self, order):  # expect: DJG606
        return Invoice.objects.create(order=order, number=self.numbering.format(order.pk))

# == async-service orders/services/shipping.py
from orders.models import Shipment


async def book_courier(shipment: Shipment):  # expect: DJG606
    shipment.courier_ref = await shipment.carrier.book(shipment.address)

# == untyped-varargs billing/services/payouts.py
from billing.models import Payout


def schedule_payout(payout: Payout, *args, **kwargs) -> None:  # expect: DJG606
    payout.schedule(*args, **kwargs)

# == untyped-default catalog/services/__init__.py
from catalog.feeds import Feed


def import_feed(url: str, batch_size=500) -> int:  # expect: DJG606
    return Feed(url).import_all(batch_size=batch_size)

# == init-parameter orders/services/notifications.py
class Notifier:
    def __init__(self, channel):  # expect: DJG606
        self.channel = channel

    def send(self, text: str) -> None:
        self.channel.post(text)

# == classmethod billing/selectors/reports.py
from billing.models import Invoice


class MonthlyReport:
    @classmethod
    def for_month(cls, year, month):  # expect: DJG606
        return cls(Invoice.objects.filter(issued__year=year, issued__month=month))

# == untyped-property orders/services/carts.py
from decimal import Decimal


class CartTotals:
    def __init__(self, lines: list[Decimal]) -> None:
        self.lines = lines

    @property
    def total(self):  # expect: DJG606
        return sum(self.lines, Decimal(0))

# == filter-schema catalog/schemas/filters.py
from django.db.models import Q
from ninja import FilterSchema


class ProductFilter(FilterSchema):
    search: str | None = None

    def filter_search(self, value: str):  # expect: DJG606
        return Q(name__icontains=value) | Q(sku__iexact=value) if value else Q()

# == typed-varargs billing/services/charges.py
from typing import Any

from billing.models import Charge, Payment


def charge(payment: Payment, *args: Any, **kwargs: Any) -> Charge:
    return payment.gateway.charge(payment.amount, *args, **kwargs)

# == private-helper orders/services/pricing.py
from decimal import ROUND_HALF_UP, Decimal


def _round(amount):
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def line_total(price: Decimal, quantity: int) -> Decimal:
    return _round(price * quantity)

# == typed-class orders/services/checkout.py
from orders.models import Cart, Order


class Checkout:
    def __init__(self, cart: Cart) -> None:
        self.cart = cart

    @classmethod
    def for_session(cls, session_key: str) -> "Checkout":
        return cls(Cart.objects.get(session_key=session_key))

    @staticmethod
    def reference(order: Order) -> str:
        return f"ORD-{order.pk:06d}"

    @property
    def empty(self) -> bool:
        return not self.cart.lines

# == nested-and-lambda catalog/services/sorting.py
from catalog.models import Product


def ranked(products: list[Product]) -> list[Product]:
    def score(product):
        return product.sales * 2 + product.views

    by_name = sorted(products, key=lambda p: p.name)
    return sorted(by_name, key=score, reverse=True)

# == overload-stubs billing/services/currency.py
from decimal import Decimal
from typing import overload


@overload
def convert(amount: Decimal, to: str) -> Decimal: ...
@overload
def convert(amount: None, to: str) -> None: ...
def convert(amount: Decimal | None, to: str) -> Decimal | None:
    return None if amount is None else amount * Decimal("1.1")

# == dunders orders/services/money.py
from decimal import Decimal


class Money:
    def __init__(self, amount: Decimal, currency: str):
        self.amount, self.currency = amount, currency

    def __eq__(self, other):
        return (self.amount, self.currency) == (other.amount, other.currency)

    def __repr__(self):
        return f"Money({self.amount}, {self.currency!r})"

# == private-class catalog/services/cache.py
class _Memo:
    def __init__(self, size):
        self.size = size

    def get(self, key):
        return None


def cached_price(sku: str) -> None:
    _Memo(10).get(sku)

# == test-services orders/test_services.py
from orders.services import place_order


def test_place_order(cart):
    assert place_order(cart).total == cart.total

# == untyped-view billing/views/statements.py
from django.shortcuts import render


def statement(request, year):
    return render(request, "billing/statement.html", {"year": year})

# == drf-serializer catalog/serializers.py
from rest_framework import serializers


class ProductSerializer(serializers.Serializer):
    sku = serializers.CharField()

    def validate_sku(self, value):
        return value.upper()

# == positional-and-keyword-only billing/selectors/coupons.py
from billing.models import Coupon


def lookup(code: str, /, *, active: bool = True) -> Coupon | None:
    return Coupon.objects.filter(code=code, active=active).first()

# == service-model catalog/models/services.py
from django.db import models


class Service(models.Model):
    name = models.CharField(max_length=100)
    ports = models.JSONField(default=list)

    def save(self, *args, **kwargs):
        self.name = self.name.strip()
        super().save(*args, **kwargs)

    @property
    def port_list(self):
        return ", ".join(map(str, sorted(self.ports)))

# == service-utils orders/service_utils.py
def split_name(full):
    return full.split(" ", 1)
""",
)

# -- DJG607 n-plus-one-query ----------------------------------------------------------------------------------

# The models the DJG607 cases loop over, committed with the apps: relations are learned from them.
SALES_MODELS = """from django.db import models


class Vendor(models.Model):
    name = models.CharField(max_length=100)


class Buyer(models.Model):
    email = models.EmailField()
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="buyers")


class Label(models.Model):
    text = models.CharField(max_length=30)


class Receipt(models.Model):
    number = models.CharField(max_length=20)


class Purchase(models.Model):
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE)
    vendor = models.ForeignKey("sales.Vendor", on_delete=models.PROTECT, related_name="purchases")
    receipt = models.OneToOneField(Receipt, null=True, on_delete=models.SET_NULL)
    labels = models.ManyToManyField(Label, related_name="purchases", blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2)


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=20)
    quantity = models.IntegerField()
"""
STOCK_MODELS = {
    "stock/models/__init__.py": "from .items import Item\n",
    "stock/models/items.py": (
        "from django.db import models\n\n\nclass Item(models.Model):\n"
        '    vendor = models.ForeignKey("sales.Vendor", on_delete=models.CASCADE)\n'
        "    active = models.BooleanField(default=True)\n"
    ),
}

QUERIES = cases(
    "DJG607",
    """
# == foreign-key-in-for sales/reports.py
from sales.models import Purchase


def big_purchases():
    rows = []
    for purchase in Purchase.objects.filter(total__gt=100):
        rows.append((purchase.pk, purchase.buyer.email))  # expect: DJG607
    return rows

# == default-manager-in-a-module-without-objects sales/names.py
from sales.models import Purchase


def vendor_names():
    return [p.vendor.name for p in Purchase._default_manager.all()]  # expect: DJG607

# == reverse-manager-count sales/exports.py
from sales.models import Purchase


def line_counts():
    counts = {}
    for purchase in Purchase.objects.all():
        counts[purchase.pk] = purchase.lines.count()  # expect: DJG607
    return counts

# == comprehension-over-slice sales/digest.py
from sales.models import Purchase


def recent_vendors():
    return [p.vendor.name for p in Purchase.objects.order_by("-id")[:50]]  # expect: DJG607

# == bound-name sales/mailing.py
from sales.models import Purchase


def remind_unpaid(send):
    purchases = Purchase.objects.filter(total__gt=0).order_by("id")
    for purchase in purchases:
        send(purchase.buyer.email, "Your purchase is waiting")  # expect: DJG607

# == select-related-other-field sales/invoicing.py
from sales.models import Purchase


def invoice_lines():
    for purchase in Purchase.objects.select_related("vendor"):
        yield purchase.vendor.name, purchase.buyer.email  # expect: DJG607

# == many-to-many sales/tags.py
from sales.models import Purchase


def labels_by_purchase():
    found = {}
    for purchase in Purchase.objects.all():
        found[purchase.pk] = [label.text for label in purchase.labels.all()]  # expect: DJG607
    return found

# == default-reverse-accessor sales/buyers.py
from sales.models import Buyer


def spend_per_buyer():
    return {
        buyer.email: sum(p.total for p in buyer.purchase_set.all())  # expect: DJG607
        for buyer in Buyer.objects.all()
    }

# == reverse-one-to-one sales/receipts.py
from sales.models import Receipt


def receipt_totals():
    totals = []
    for receipt in Receipt.objects.exclude(number=""):
        totals.append((receipt.number, receipt.purchase.total))  # expect: DJG607
    return totals

# == models-package stock/feeds.py
from stock.models import Item


def vendor_feed():
    for item in Item.objects.filter(active=True):
        yield {"id": item.pk, "vendor": item.vendor.name}  # expect: DJG607

# == dict-comprehension sales/receipt_index.py
from sales.models import Purchase


def receipt_numbers():
    return {p.pk: p.receipt.number for p in Purchase.objects.exclude(receipt=None)}  # expect: DJG607

# == reassigned-queryset sales/vendor_report.py
from sales.models import Purchase


def vendor_report(minimum):
    purchases = Purchase.objects.all()
    purchases = purchases.filter(total__gte=minimum)
    lines = []
    for purchase in purchases:
        lines.append(f"{purchase.vendor.name}: {purchase.total}")  # expect: DJG607
    return lines

# == both-kinds sales/statement.py
from sales.models import Purchase


def statement():
    for purchase in Purchase.objects.all():
        print(purchase.buyer.email, purchase.lines.count())  # expect: DJG607

# == loop-over-list sales/render.py
def render(purchases):
    return [f"{p.buyer.email}: {p.total}" for p in purchases]

# == right-select-related sales/reports_ok.py
from sales.models import Purchase


def big_purchases_ok():
    return [(p.pk, p.buyer.email) for p in Purchase.objects.select_related("buyer").filter(total__gt=100)]

# == prefetch-object sales/exports_ok.py
from django.db.models import Prefetch

from sales.models import Purchase, PurchaseLine


def line_skus():
    purchases = Purchase.objects.prefetch_related(
        Prefetch("lines", queryset=PurchaseLine.objects.order_by("sku"))
    )
    return {p.pk: [line.sku for line in p.lines.all()] for p in purchases}

# == values-and-values-list sales/values.py
from sales.models import Purchase


def emails():
    rows = [row["buyer__email"] for row in Purchase.objects.values("buyer__email")]
    for pk, total in Purchase.objects.values_list("pk", "total"):
        rows.append(f"{pk}: {total}")
    return rows

# == foreign-key-id sales/ids.py
from sales.models import Purchase


def buyer_ids():
    return {p.buyer_id for p in Purchase.objects.filter(total__gt=0)}

# == select-related-everything sales/everything.py
from sales.models import Purchase


def vendors():
    return [p.vendor.name for p in Purchase.objects.select_related().all()]

# == deep-lookup sales/deep.py
from sales.models import Purchase


def buyer_vendors():
    for purchase in Purchase.objects.select_related("buyer__vendor"):
        yield purchase.buyer.vendor.name

# == custom-manager-method sales/custom.py
from sales.models import Purchase


def paid_buyers():
    return [p.buyer.email for p in Purchase.objects.paid()]

# == unknown-model sales/widgets.py
from sales.other import Widget


def owners():
    return [w.buyer.email for w in Widget.objects.all()]

# == prefetch-named-in-reassignment sales/tags_ok.py
from sales.models import Purchase


def labels_ok():
    purchases = Purchase.objects.all()
    purchases = purchases.prefetch_related("labels", "lines")
    return {p.pk: ([x.text for x in p.labels.all()], p.lines.count()) for p in purchases}

# == maybe-a-list sales/maybe.py
from sales.models import Purchase


def recent(cached):
    purchases = cached or Purchase.objects.all()
    return [p.buyer.email for p in purchases]

# == prefetch-related-objects sales/search.py
from django.db.models import prefetch_related_objects

from sales.models import Purchase


def buyer_emails(vendor_id):
    purchases = Purchase.objects.filter(vendor_id=vendor_id)
    prefetch_related_objects(purchases, "buyer")  # fills the queryset's cache, buyers with it
    emails = [p.buyer.email for p in purchases]
    return emails + [p.vendor.name for p in purchases]  # expect: DJG607

# == test-file sales/tests/test_reports.py
from sales.models import Purchase


def test_emails():
    assert [p.buyer.email for p in Purchase.objects.all()] == []

# == get-queryset-in-view sales/views.py
from django.views.generic import ListView

from sales.models import Purchase


class PurchaseList(ListView):
    model = Purchase

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["emails"] = [p.buyer.email for p in self.get_queryset()]
        return context

# == assigns-relation sales/detach.py
from sales.models import Purchase


def detach_receipts(seen):
    for purchase in Purchase.objects.filter(receipt__isnull=False):
        seen.add(purchase.receipt_id)
        purchase.receipt = None
""",
)

CASES = HTTP + ATOMIC + VIEWS + RACES + UNIQUE + TYPED + QUERIES


@pytest.fixture(scope="module")
def judged(isolated_git: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Finding]]:
    """Every case in one repository: the apps committed, the cases staged, the workflow family run once."""
    repo = Repo(tmp_path_factory.mktemp("workflow"))
    repo.git("init", "-q")
    for app in ("orders", "billing", "catalog", "sales", "stock"):
        repo.app(app)
    repo.write("sales/models.py", SALES_MODELS)
    (repo.path / "stock/models.py").unlink()
    for path, text in STOCK_MODELS.items():
        repo.write(path, text)
    repo.stage()
    repo.commit()
    paths = [c.path for c in CASES]
    assert len(paths) == len(set(paths)), "one file per case"
    for c in CASES:
        repo.write(c.path, c.source)
    repo.stage()
    git = GitRepo.discover(repo.path)
    findings: dict[str, list[Finding]] = {}
    for finding in check_staged(git, load_config(repo.path), ("workflow",)):
        findings.setdefault(finding.path or "", []).append(finding)
    return findings


@pytest.mark.parametrize(
    "c", CASES, ids=[f"{c.rule}-{'flag' if c.flagged else 'pass'}-{c.name}" for c in CASES]
)
def test_case(judged: dict[str, list[Finding]], c: Case) -> None:
    found = {(f.code, f.line) for f in judged.get(c.path, [])}
    assert found == c.expected, "\n".join(f"{f.line}: {f.code} {f.message}" for f in judged.get(c.path, []))


@pytest.mark.parametrize("code", ["DJG601", "DJG602", "DJG603", "DJG604", "DJG605", "DJG606", "DJG607"])
def test_each_rule_has_ten_true_positives_and_ten_look_alikes(code: str) -> None:
    mine = [c for c in CASES if c.rule == code]
    assert sum(c.flagged for c in mine) >= 10
    assert sum(not c.expected for c in mine) >= 10


def test_findings_are_warnings_with_concrete_hints(judged: dict[str, list[Finding]]) -> None:
    assert all(f.severity == "warning" for fs in judged.values() for f in fs)

    def one(path: str, code: str) -> Finding:
        (finding,) = [f for f in judged[path] if f.code == code]
        return finding

    assert one("orders/rates.py", "DJG601").hint == (
        "pass a timeout in seconds: requests.get(..., timeout=10)"
    )
    assert one("catalog/sync.py", "DJG601").message == "client.post() without a timeout"
    assert "httpx.Client(timeout=10.0)" in str(one("catalog/sync.py", "DJG601").hint)
    transfer = one("billing/transfers.py", "DJG602")
    assert transfer.message == (
        "transfer makes 2 ORM writes outside transaction.atomic: source.save() (line 3), target.save() (line 5)"
    )
    assert "decorate transfer with @transaction.atomic" in str(transfer.hint)
    assert "sync_to_async" in str(one("orders/async_checkout.py", "DJG602").hint)
    assert one("orders/views/cart.py", "DJG603").hint == (
        "move the writes into a function of orders/services.py and call it from the view"
    )
    assert one("catalog/views.py", "DJG603").message == (
        "view ProductDeleteView.post writes to the database: get_object_or_404(...).delete()"
    )
    race = one("billing/coupons.py", "DJG604")
    assert race.message == (
        "Redemption.objects.create() after Redemption.objects.filter(...).exists() on line 5: another "
        "request can create the row in between"
    )
    assert str(race.hint).startswith("use Redemption.objects.get_or_create(...) with a UniqueConstraint")
    assert one("catalog/models_variants.py", "DJG605").hint == (
        'constraints = [models.UniqueConstraint(fields=["product", "sku"], name="unique_variant_product_sku"), '
        'models.UniqueConstraint(fields=["product", "position"], name="unique_variant_product_position")] '
        "in the Meta, then makemigrations"
    )


def test_the_untyped_service_hint_writes_the_signature(judged: dict[str, list[Finding]]) -> None:
    def one(path: str) -> Finding:
        (finding,) = [f for f in judged[path] if f.code == "DJG606"]
        return finding

    refund = one("billing/services/refunds.py")
    assert refund.message == (
        "service function refund has no type annotation for parameters order, amount and the return"
    )
    assert refund.hint == "annotate it: def refund(order: <type>, amount: <type>) -> <type>:"
    assert one("catalog/selectors.py").hint == (
        "annotate it: def products_in(category: <type>, *, include_hidden: <type> = False) -> QuerySet[Product]:"
    )
    issue = one("billing/services/invoices.py")
    assert (
        issue.message
        == "service function InvoiceService.issue has no type annotation for parameter order and the return"
    )
    assert issue.hint == "annotate it: def issue(self, order: <type>) -> <type>:"
    assert (
        one("orders/services/notifications.py").hint
        == "annotate it: def __init__(self, channel: <type>) -> None:"
    )
    assert one("billing/services/payouts.py").hint == (
        "annotate it: def schedule_payout(payout: Payout, *args: <type>, **kwargs: <type>) -> None:"
    )
    assert one("catalog/schemas.py").hint == "annotate it: def resolve_price(obj: <type>) -> <type>:"
    shipping = one("orders/services/shipping.py")
    assert shipping.message == "service function book_courier has no type annotation for the return"
    assert shipping.hint == "annotate it: async def book_courier(shipment: Shipment) -> <type>:"


def test_the_n_plus_one_hint_writes_the_call_to_add(judged: dict[str, list[Finding]]) -> None:
    def one(path: str) -> Finding:
        (finding,) = [f for f in judged[path] if f.code == "DJG607"]
        return finding

    report = one("sales/reports.py")
    assert report.message == (
        "loop over Purchase.objects.filter(...) reads purchase.buyer for each row: one query per Purchase"
    )
    assert (
        report.hint
        == 'fetch them with the rows: add .select_related("buyer") to Purchase.objects.filter(...)'
    )
    assert one("sales/buyers.py").hint == (
        'fetch them with the rows: add .prefetch_related("purchase_set") to Buyer.objects.all()'
    )
    assert one("sales/statement.py").hint == (
        'fetch them with the rows: add .select_related("buyer").prefetch_related("lines") to Purchase.objects.all()'
    )
    assert (
        one("sales/mailing.py").hint
        == 'fetch them with the rows: add .select_related("buyer") where purchases is made'
    )
    assert one("sales/receipts.py").hint == (
        'fetch them with the rows: add .select_related("purchase") to Receipt.objects.exclude(...)'
    )


# -- scope of judgement ---------------------------------------------------------------------------------------

LEGACY = """import requests


def legacy_sync(order):
    requests.post("https://erp.example/orders", json={"id": order.pk})
    order.synced = True
    order.save()
    order.customer.save()


def total(order):
    return sum(line.amount for line in order.lines.all())
"""


findings = functools.partial(family_findings, "workflow")
codes = functools.partial(family_codes, "workflow")


def committed(repo: Repo, path: str, text: str) -> None:
    """The file as the branch already has it: what a later change edits."""
    repo.write(path, text)
    repo.stage()
    repo.commit()


def test_only_functions_the_change_touches_are_judged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    committed(shop, "orders/sync.py", LEGACY)
    # A line changed in another function: the old code of legacy_sync is not judged.
    shop.put("orders/sync.py", LEGACY.replace("line.amount", "line.amount * line.quantity"))
    assert codes(djgate) == []
    # A line added to legacy_sync: the whole function is judged, at its old lines.
    shop.put("orders/sync.py", LEGACY.replace("    order.synced = True\n", "    order.synced = 'yes'\n"))
    assert codes(djgate) == [("DJG601", "orders/sync.py", 5), ("DJG602", "orders/sync.py", 7)]


def test_an_untouched_untyped_service_function_is_not_judged(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    services = (
        "def legacy_total(order):\n"
        "    return order.total\n"
        "\n"
        "\n"
        "def total(order: object) -> int:\n"
        "    return 1\n"
    )
    committed(shop, "orders/services.py", services)
    shop.put("orders/services.py", services.replace("return 1", "return 2"))
    assert codes(djgate) == []
    shop.put("orders/services.py", services.replace("order.total", "order.total or 0"))
    assert codes(djgate) == [("DJG606", "orders/services.py", 1)]


def test_a_change_in_a_nested_function_judges_that_function_only(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    source = (
        "def outer(order, items):\n"
        "    order.save()\n"
        "    order.customer.save()\n"
        "\n"
        "    def bump(item):\n"
        "        item.count += 1\n"
        "        item.save()\n"
        "\n"
        "    return [bump(i) for i in items]\n"
    )
    committed(shop, "orders/nested.py", source)
    shop.put("orders/nested.py", source.replace("item.count += 1", "item.count += 2"))
    assert codes(djgate) == []
    shop.put("orders/nested.py", source.replace("    return [", "    # every item\n    return ["))
    assert codes(djgate) == [("DJG602", "orders/nested.py", 2)]


def test_a_changed_unique_together_line_is_judged_an_old_one_is_not(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    models = (
        "from django.db import models\n\n\nclass Seat(models.Model):\n    number = models.IntegerField()\n\n"
        "    class Meta:\n        unique_together = (\n            ('show', 'number'),\n        )\n"
    )
    committed(shop, "orders/models.py", models)
    shop.put("orders/models.py", models.replace("IntegerField()", "PositiveIntegerField()"))
    assert codes(djgate) == []
    shop.put("orders/models.py", models.replace("('show', 'number')", "('show', 'row', 'number')"))
    assert codes(djgate) == [("DJG605", "orders/models.py", 8)]


def test_the_hint_names_the_services_module_of_the_app(repo: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    repo.app("apps/shop_orders", label="orders")
    repo.stage()
    repo.commit()
    view = "def cancel(request, pk):\n    Order.objects.filter(pk=pk).update(status='cancelled')\n"
    repo.put("apps/shop_orders/views/cancel.py", view)
    (finding,) = findings(djgate)
    assert (
        finding["hint"]
        == "move the writes into a function of apps/shop_orders/services.py and call it from the view"
    )


# -- the project's own atomic wrappers (DJG602) -------------------------------------------------------------

TRACING = """from contextlib import contextmanager

from django.db import transaction


@contextmanager
def traced_atomic_transaction():
    with transaction.atomic():
        yield


@contextmanager
def traced(name):
    yield
"""

CHECKOUT = """from orders.tracing import traced, traced_atomic_transaction

from orders.models import Checkout, Order


def complete(checkout):
    with traced_atomic_transaction():
        order = Order.objects.create(customer=checkout.customer)
        Checkout.objects.filter(pk=checkout.pk).delete()
    return order


def touch(checkout):
    with traced("touch"):
        checkout.save()
"""


def test_a_committed_wrapper_is_read_only_for_the_function_that_needs_it(  # type: ignore[no-untyped-def]
    shop: Repo, djgate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from djgate.engine import RepoFacts

    asked: list[str] = []
    read = RepoFacts.path_contents

    def recorded(self: RepoFacts, changeset, paths):  # type: ignore[no-untyped-def]
        paths = list(paths)
        asked.extend(paths)
        return read(self, changeset, paths)

    monkeypatch.setattr(RepoFacts, "path_contents", recorded)
    shop.write("orders/tracing.py", TRACING)
    committed(shop, "orders/checkout.py", CHECKOUT)
    # One write in touch(): nothing to read.
    shop.put("orders/checkout.py", CHECKOUT.replace('traced("touch")', 'traced("checkout.touch")'))
    assert codes(djgate) == [] and asked == []
    # complete() has two writes: the module its wrapper comes from is read, and nothing else.
    shop.put("orders/checkout.py", CHECKOUT.replace("customer=checkout.customer", "customer=checkout.owner"))
    assert codes(djgate) == []
    assert asked == ["orders/tracing.py", "orders/tracing/__init__.py"]
    # Two writes under a context manager that does not enter atomic: reported.
    shop.put(
        "orders/checkout.py", CHECKOUT.replace("        checkout.save()\n", "        checkout.save()\n" * 2)
    )
    assert codes(djgate) == [("DJG602", "orders/checkout.py", 15)]


def test_wrappers_of_a_project_whose_packages_sit_under_a_source_root(repo: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    repo.app("netbox/dcim", name="dcim")
    repo.write("netbox/utilities/__init__.py")
    repo.write("netbox/utilities/transactions.py", TRACING)
    repo.stage()
    repo.commit()
    service = (
        "from utilities.transactions import traced_atomic_transaction\n\nfrom dcim.models import Cable, Path\n\n\n"
        "@traced_atomic_transaction()\ndef connect(a: Cable, b: Cable) -> None:\n    cable = Cable.objects.create(a=a, b=b)\n"
        "    Path.objects.filter(origin=a).update(cable=cable)\n"
    )
    repo.put("netbox/dcim/services.py", service)
    assert codes(djgate) == []
    repo.put("netbox/dcim/services.py", service.replace("@traced_atomic_transaction()\n", ""))
    assert codes(djgate) == [("DJG602", "netbox/dcim/services.py", 7)]


LIBRARY_WRAPPER = """from payments_sdk.db import locked_atomic

from billing.models import Charge, Wallet


def charge(wallet, amount):
    with locked_atomic(wallet):
        Charge.objects.create(wallet=wallet, amount=amount)
        Wallet.objects.filter(pk=wallet.pk).update(balance=wallet.balance - amount)
"""


@pytest.mark.parametrize("name", ["payments_sdk.db.locked_atomic", "db.locked_atomic", "locked_atomic"])
def test_configured_atomic_wrappers(shop: Repo, djgate, name: str) -> None:  # type: ignore[no-untyped-def]
    shop.put("billing/charges.py", LIBRARY_WRAPPER)
    assert codes(djgate) == [("DJG602", "billing/charges.py", 8)]  # a library's module is not read
    shop.write("pyproject.toml", f'[tool.djgate]\natomic_wrappers = ["{name}"]\n')
    assert codes(djgate) == []
    shop.write("pyproject.toml", '[tool.djgate]\natomic_wrappers = ["sdk_db.locked_atomic"]\n')
    assert codes(djgate) == [("DJG602", "billing/charges.py", 8)]


@pytest.mark.parametrize("value", ['"locked_atomic"', '["payments sdk.locked"]', '["a..b"]', "[1]"])
def test_atomic_wrappers_must_be_a_list_of_dotted_names(shop: Repo, djgate, value: str) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", f"[tool.djgate]\natomic_wrappers = {value}\n")
    result = djgate("check-staged", "--family", "workflow")
    assert result.code == 2
    assert "[tool.djgate] atomic_wrappers:" in result.err


# -- doors, severities, silencing -----------------------------------------------------------------------------

UNTIMED = "import requests\n\n\ndef rates():\n    return requests.get('https://fx.example/latest').json()\n"


def test_warnings_by_default_errors_when_configured(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("billing/fx.py", UNTIMED)
    result = djgate("check-staged", "--family", "workflow")
    assert result.code == 0
    assert "billing/fx.py:5: DJG601 (warning) requests.get() without a timeout" in result.out
    shop.write("pyproject.toml", '[tool.djgate]\nseverity = {DJG601 = "error"}\n')
    result = djgate("check-staged", "--family", "workflow", "--format", "json")
    assert result.code == 1
    assert json.loads(result.out)["findings"][0]["severity"] == "error"


def test_ignore_comments_and_per_path_ignores(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.put("billing/fx.py", UNTIMED.replace(".json()\n", ".json()  # djgate: ignore[DJG601]\n"))
    shop.put("billing/views.py", "def pay(request):\n    request.user.invoices.create(amount=1)\n")
    assert codes(djgate) == [("DJG603", "billing/views.py", 2)]
    shop.write("pyproject.toml", '[tool.djgate]\nper_path_ignores = {"billing/views.py" = ["DJG603"]}\n')
    assert codes(djgate) == []


def test_the_plain_pre_commit_door_and_named_files(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    committed(shop, "billing/fx.py", UNTIMED)
    result = djgate("check-staged", "--format", "json")  # every staged family: nothing staged
    assert json.loads(result.out)["findings"] == []
    # --all-files and file names that are not staged (pre-commit run --all-files): judged whole.
    assert codes(djgate, "--all-files") == [("DJG601", "billing/fx.py", 5)]
    assert codes(djgate, "billing/fx.py") == [("DJG601", "billing/fx.py", 5)]
    shop.put("billing/fx.py", UNTIMED + "\n\ndef other():\n    return 1\n")
    assert codes(djgate, "billing/fx.py") == []  # staged: judged on what it adds
    result = djgate("check-staged", "--format", "json")
    assert json.loads(result.out)["findings"] == []


def test_check_range_runs_the_workflow_family(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.write("pyproject.toml", '[tool.djgate]\nignore = ["DJG301"]\n')
    shop.stage()
    base = shop.commit("build(deps): no Django project here")
    shop.write("billing/fx.py", UNTIMED)
    shop.stage()
    tip = shop.commit("feat(billing): read exchange rates")
    result = djgate("check-range", f"{base}..{tip}", "--format", "json")
    assert result.code == 0, result.out + result.err
    found = json.loads(result.out)["findings"]
    assert [(f["code"], f["path"], f["line"], f["commit"]) for f in found] == [
        ("DJG601", "billing/fx.py", 5, tip)
    ]


def test_a_merge_is_not_judged_again(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    shop.git("checkout", "-q", "-b", "feature")
    shop.write("billing/fx.py", UNTIMED)
    shop.stage()
    shop.commit("feat(billing): read exchange rates")
    shop.git("checkout", "-q", "main")
    shop.write("orders/notes.py", "NOTE = 1\n")
    shop.stage()
    shop.commit("feat(orders): add a note")
    shop.git("merge", "-q", "--no-ff", "--no-commit", "feature")
    assert codes(djgate) == []


def test_explain_and_rules(djgate) -> None:  # type: ignore[no-untyped-def]
    rules = all_rules()
    for code in ("DJG601", "DJG602", "DJG603", "DJG604", "DJG605", "DJG606", "DJG607"):
        assert rules[code].family == "workflow" and rules[code].severity == "warning"
        text = djgate("explain", code).out
        for part in ("## What it checks", "## Why it matters", "## How to fix it", "Bad:", "Good:"):
            assert part in text, (code, part)
        assert f'make it an error (blocking) with `severity = {{{code} = "error"}}`' in text
    listing = djgate("rules").out
    assert re.search(r"DJG603\s+orm-write-in-view\s+warning", listing)


def test_a_50000_line_module(shop: Repo, djgate) -> None:  # type: ignore[no-untyped-def]
    body = "".join(
        f"def f{i}(order):\n    order.save()\n    order.lines.all().delete()\n\n" for i in range(12_500)
    )
    header = "import requests\n\n\n"
    shop.write("orders/big.py", header + body)
    shop.stage()
    shop.commit()
    lines = (header + body).splitlines()
    lines.insert(20_004, "    requests.get(order.url)")  # into f5000, whose two writes are old
    shop.put("orders/big.py", "\n".join(lines) + "\n")
    start = time.perf_counter()
    assert codes(djgate) == [("DJG601", "orders/big.py", 20_005), ("DJG602", "orders/big.py", 20_006)]
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"{elapsed:.1f}s"
    start = time.perf_counter()
    whole = codes(djgate, "--all-files")
    elapsed = time.perf_counter() - start
    assert len(whole) == 12_500 + 1 and elapsed < 20, f"{len(whole)} findings in {elapsed:.1f}s"


def test_touched_statements_enter_every_block_but_no_expression() -> None:
    import ast

    from djgate.rules.pysource import parse_source

    source = (
        "class A:\n"  # 1
        "    def m(self, x):\n"  # 2
        "        try:\n"  # 3
        "            pass\n"  # 4
        "        except ValueError:\n"  # 5
        "            match x:\n"  # 6
        "                case 1:\n"  # 7
        "                    y = lambda: 1\n"  # 8
        "        finally:\n"  # 9
        "            z = 2\n"  # 10
        "\n"
        "\n"
        "def untouched():\n"  # 13
        "    return 3\n"
    )
    parsed = parse_source("a.py", source.encode(), (8, 10))
    touched = parsed.touched_statements()
    assert [(type(s).__name__, s.lineno) for s, _ in touched] == [
        ("ClassDef", 1),
        ("FunctionDef", 2),
        ("Try", 3),
        ("Match", 6),
        ("Assign", 8),
        ("Assign", 10),
    ]
    assigned, parents = touched[4]
    assert [type(p).__name__ for p in parents] == ["Match", "Try", "FunctionDef", "ClassDef", "Module"]
    assert isinstance(assigned, ast.Assign)
    whole = parse_source("a.py", source.encode(), tuple(range(1, 15)))
    assert [s.lineno for s, _ in whole.touched_statements()] == [1, 2, 3, 4, 6, 8, 10, 13, 14]
