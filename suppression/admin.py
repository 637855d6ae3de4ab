"""Suppression admin: lists with their entry counts and an upload form for small files (the same
import service as `manage.py suppression_import`, which large registry files go through), and
the entries, found by phone or email through their digest (a purged person's entry too)."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from leadhub.admin import BaseAdmin, LargeTableMixin, ReadOnlyAdmin, refusal_words
from leadhub.errors import ServiceRefusal

from .keys import subject_digests
from .models import ListKind, SuppressionEntry, SuppressionList
from .services import suppression_entry_add, suppression_list_import

UPLOAD_LIMIT = 5 * 1024 * 1024  # larger files: manage.py suppression_import (COPY, a progress bar)


class ListUploadForm(forms.Form):
    file = forms.FileField(required=False, help_text="One 10-digit number per line, or a CSV with a `phone` column. "
                                                     "Replaces the list's numbers. At most 5 MB.")
    phone = forms.CharField(required=False, help_text="Or add one phone…")
    email = forms.CharField(required=False, help_text="…or one email.")
    reason = forms.CharField(required=False, max_length=255)

    def clean(self):
        data = super().clean()
        given = [name for name in ("file", "phone", "email") if data.get(name)]
        if len(given) != 1:
            raise ValidationError("Give a file, a phone or an email (one of them).")
        upload = data.get("file")
        if upload is not None and upload.size > UPLOAD_LIMIT:
            self.add_error("file", "Over 5 MB: import it with manage.py suppression_import.")
        return data


@admin.register(SuppressionList)
class SuppressionListAdmin(BaseAdmin):
    list_display = ["name", "kind", "workspace", "entry_count", "imported_at", "upload_link"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind", "workspace", "description", "imported_at", "imported_by"]
    readonly_fields = ["imported_at", "imported_by"]
    raw_id_fields = ["workspace"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description="entries", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count

    @admin.display(description="")
    def upload_link(self, obj):
        if obj.kind == ListKind.OPT_OUT:
            return ""
        return format_html('<a href="{}">Upload / add</a>', reverse("admin:suppression_suppressionlist_upload",
                                                                   args=[obj.pk]))

    def get_urls(self):
        return [path("<int:pk>/upload/", self.admin_site.admin_view(self.upload_view),
                     name="suppression_suppressionlist_upload"), *super().get_urls()]

    def upload_view(self, request, pk):
        suppression_list = self.get_object(request, str(pk))
        if suppression_list is None or not self.has_change_permission(request, suppression_list):
            raise PermissionDenied
        form = ListUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            by = f"staff:{request.user.get_username()}"
            data = form.cleaned_data
            try:
                if data["file"]:
                    result = suppression_list_import(name=suppression_list.name, file=data["file"].file, by=by,
                                                     size=data["file"].size)
                    messages.success(request, result.summary)
                else:
                    _entry, created = suppression_entry_add(
                        suppression_list=suppression_list, phone=data["phone"], email=data["email"],
                        reason=data["reason"], by=by)
                    messages.success(request, "Added." if created else "Already on the list.")
            except ServiceRefusal as exc:
                form.add_error(None, refusal_words(exc))
            else:
                return HttpResponseRedirect(reverse("admin:suppression_suppressionlist_changelist"))
        return TemplateResponse(request, "admin/suppression/upload.html", {
            **self.admin_site.each_context(request), "title": f"Upload to {suppression_list.name}",
            "opts": self.opts, "form": form, "suppression_list": suppression_list,
        })


@admin.register(SuppressionEntry)
class SuppressionEntryAdmin(LargeTableMixin, ReadOnlyAdmin):
    """Entries are added by the list's upload form, an import or a workspace's report; found by
    a phone in any form or an email (their digest), so a purged one is found too."""

    list_display = ["id", "value", "channel", "suppression_list", "reason", "applies_to_all", "added_at", "purged_at"]
    list_filter = ["channel", "suppression_list__kind"]
    list_select_related = ["suppression_list"]
    search_fields = ["=value"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        digests = subject_digests(phone=term) + subject_digests(email=term)
        return queryset.filter(digest__in=digests), False
