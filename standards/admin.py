from django.contrib import admin

from standards.models import District, Province, ServiceWindow


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "short_name"]


class ServiceWindowInline(admin.TabularInline):
    model = ServiceWindow
    extra = 0


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["division_code", "name", "name_en", "city", "province"]
    list_filter = ["province"]
    search_fields = ["division_code", "name", "name_en", "city"]
    inlines = [ServiceWindowInline]


@admin.register(ServiceWindow)
class ServiceWindowAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district", "kind", "opens_at", "closes_at", "active"]
    list_filter = ["kind", "active", "district"]
    search_fields = ["code", "name", "address"]
