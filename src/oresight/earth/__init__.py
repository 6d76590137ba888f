"""Earth observation: mining disturbance from satellite imagery and published detections."""
