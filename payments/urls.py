from django.urls import path

from payments import account_views, views, webhooks

urlpatterns = [
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/payout-account/", account_views.payout_account, name="payout_account"),
    path("earnings/payout-account/return/", account_views.payout_account_return, name="payout_account_return"),
    path("billing/", views.billing, name="billing"),
    path("billing/billing.csv", views.billing_csv, name="billing_csv"),
    path("billing/receipts/<int:pk>/", views.billing_receipt, name="billing_receipt"),
    path("billing/card/", account_views.card, name="billing_card"),
    path("billing/card/return/", account_views.card_return, name="billing_card_return"),
    path("payments/stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
