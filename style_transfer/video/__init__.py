"""Video stylisation: optical flow, the per-frame stylizer, flicker metric, test clips."""
