from django.urls import path

from crm.views import capture, cases, console, customers, home, imports, merges, review

app_name = "crm"
urlpatterns = [
    path("", home.home, name="home"),
    path("customers/", customers.customer_list, name="customer-list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer-detail"),
    # The customer screen: its regions, and capture (crm/views/capture.py).
    path("customers/new/", capture.register_customer, name="customer-register"),
    path("customers/duplicates/", capture.possible_duplicates, name="customer-duplicates"),
    path(
        "customers/<int:pk>/section/<slug:section>/",
        customers.customer_section,
        name="customer-section",
    ),
    path("customers/<int:pk>/orders/", customers.customer_orders, name="customer-orders"),
    path("customers/<int:pk>/timeline/", customers.customer_timeline, name="customer-timeline"),
    path("customers/<int:pk>/notes/", capture.add_note, name="customer-add-note"),
    path("customers/<int:pk>/preferences/", capture.set_preference, name="customer-preference"),
    path(
        "customers/<int:pk>/preferences/<int:preference_pk>/remove/",
        capture.remove_preference,
        name="customer-preference-remove",
    ),
    path("customers/<int:pk>/contacts/", capture.add_contact, name="customer-add-contact"),
    path(
        "customers/<int:pk>/propose-merge/<int:other_pk>/",
        capture.propose_merge,
        name="customer-propose-merge",
    ),
    path("customers/<int:pk>/consents/", capture.record_consent, name="customer-consent"),
    path(
        "customers/<int:pk>/interactions/",
        capture.log_interaction,
        name="customer-log-interaction",
    ),
    path("cases/", cases.case_list, name="case-list"),
    path("console/", console.console, name="console"),
    path("imports/", imports.import_list, name="import-list"),
    path("imports/upload/<slug:token>/", imports.import_preview, name="import-preview"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/rejected.csv", imports.import_rejected_rows, name="import-rejected"),
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
