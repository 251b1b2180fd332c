from django.urls import path

from crm import views

app_name = "crm"
urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("cases/", views.case_list, name="case-list"),
    path("console/", views.console, name="console"),
]
