from django.urls import path

from crm.views import cases, console, customers, home, merges, review

app_name = "crm"
urlpatterns = [
    path("", home.home, name="home"),
    path("customers/", customers.customer_list, name="customer-list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    path("cases/", cases.case_list, name="case-list"),
    path("console/", console.console, name="console"),
    path("review/", review.review_queue, name="review-queue"),
    path("review/<int:pk>/decide/", review.review_decide, name="review-decide"),
    path("review/accept-above/", review.review_bulk_accept, name="review-bulk-accept"),
    path("merges/", merges.merge_history, name="merge-history"),
    path("merges/<int:pk>/undo/", merges.merge_undo, name="merge-undo"),
    path("customers/<int:pk>/merge/", merges.merge_search, name="customer-merge"),
    path(
        "customers/<int:pk>/merge/<int:other_pk>/",
        merges.merge_preview,
        name="customer-merge-preview",
    ),
    path("customers/<int:pk>/records/", merges.customer_records, name="customer-records"),
    path("records/<int:pk>/detach/", merges.record_detach, name="record-detach"),
]
