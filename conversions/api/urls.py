from rest_framework.routers import SimpleRouter

from conversions.api.views import ConversionViewSet

router = SimpleRouter()
router.register("conversions", ConversionViewSet, basename="partner-conversion")

urlpatterns = router.urls
