from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="campaign-list"),
    path(
        "suggestions/<int:pk>/",
        views.customer_suggestions,
        name="customer-suggestions",
    ),
]
