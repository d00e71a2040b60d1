"""Wire codecs of POST /posSupportAPI/loyalty/posevent: JSON and XML, and content negotiation."""
