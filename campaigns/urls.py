from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path("repurchase-due/", views.repurchase_due, name="repurchase-due"),
    path(
        "suggestions/<int:pk>/",
        views.customer_suggestions,
        name="customer-suggestions",
    ),
]
