from django.urls import path

from crm.views import cases, console, customers, home

app_name = "crm"
urlpatterns = [
    path("", home.home, name="home"),
    path("customers/", customers.customer_list, name="customer-list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("cases/", cases.case_list, name="case-list"),
    path("console/", console.console, name="console"),
]
