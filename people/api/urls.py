from rest_framework.routers import SimpleRouter

from people.api.views import ContactViewSet

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="partner-contact")

urlpatterns = router.urls
